// The gateway's TOML configuration: the documented example, the defaults, every kind
// of error with its exact position and key, the checks against a real plan, and
// random damage to a valid file, which must give errors and never a crash.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <thread>

#include "compiler/emit/emit_plan.h"
#include "runtime/config/config.h"
#include "runtime/plan/plan.h"
#include "tests/support/test_files.h"

namespace banyan::config {
namespace {

std::vector<std::string> rendered(const LoadedConfig& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(render(e));
  return out;
}

std::vector<std::string> errors_of(const std::string& text) {
  LoadedConfig r = parse_config(text, "gateway.toml");
  CHECK_FALSE(r.config);
  return rendered(r);
}

// The one ```toml block of docs/gateway-config.md.
std::string doc_example() {
  std::string doc = test::read_file(test::source_dir() + "/docs/gateway-config.md");
  size_t begin = doc.find("```toml\n");
  REQUIRE(begin != std::string::npos);
  begin += 8;
  return doc.substr(begin, doc.find("```", begin) - begin);
}

std::unique_ptr<plan::Plan> gallery_plan() {
  test::Checked c;
  test::check_disk_file(c, test::source_dir() + "/examples/image-gallery/gallery.routes");
  REQUIRE(c.sink.error_count() == 0);
  plan::LoadResult r = plan::load_plan(emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm));
  REQUIRE(r.plan);
  return std::move(r.plan);
}

}  // namespace

TEST_CASE("the documented example parses to the values it writes", "[config]") {
  LoadedConfig r = parse_config(doc_example(), "env/prod/gateway.toml");
  INFO(rendered(r).size());
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  const GatewayConfig& c = *r.config;
  CHECK(c.plan_path == "env/prod/gallery.plan");
  CHECK(c.workers == 2);
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].plan_address == ":443");
  CHECK(c.listen[0].bind == HostPort{"127.0.0.1", 8443});
  CHECK(c.listen[1].plan_address == ":80");
  CHECK(c.listen[1].bind == HostPort{"127.0.0.1", 8080});
  REQUIRE(c.admin);
  CHECK(*c.admin == HostPort{"127.0.0.1", 9901});
  CHECK(c.log_format == LogFormat::Json);
  CHECK(c.log_destination == LogDestination::Stderr);
  CHECK(c.show_error_details.empty());
  REQUIRE(c.upstreams.size() == 1);
  CHECK(c.upstreams[0].name == "monolith");
  CHECK(c.upstreams[0].servers == std::vector<HostPort>{{"127.0.0.1", 8081}, {"image-gallery", 80}});
  CHECK(c.upstreams[0].resolve_every_ms == 10'000);
  CHECK(c.limits.request_line == 8 * 1024);
  CHECK(c.limits.header_bytes == 32 * 1024);
  CHECK(c.limits.header_count == 100);
  CHECK(c.limits.body == 1ULL << 30);
  CHECK(c.limits.header_timeout_ms == 10'000);
  CHECK(c.limits.body_timeout_ms == 60'000);
  CHECK(c.limits.idle_timeout_ms == 75'000);
  CHECK(c.limits.connections == 10'000);
  REQUIRE(c.trusted_proxies.size() == 2);
  CHECK(to_string(c.trusted_proxies[0]) == "10.0.0.0/8");
  CHECK(to_string(c.trusted_proxies[1]) == "::1/128");
  REQUIRE(c.admin_write_from.size() == 2);
  CHECK(to_string(c.admin_write_from[0]) == "127.0.0.1/32");
  CHECK(to_string(c.admin_write_from[1]) == "10.1.2.0/24");
  CHECK_FALSE(c.proxy_protocol_everywhere);
  CHECK(c.uses_proxy_protocol(":443"));
  CHECK_FALSE(c.uses_proxy_protocol(":80"));
}

TEST_CASE("a file with only the plan takes every default", "[config]") {
  LoadedConfig r = parse_config("plan = \"/srv/gallery.routes\"\n", "gateway.toml");
  REQUIRE(r.config);
  const GatewayConfig& c = *r.config;
  CHECK(c.plan_path == "/srv/gallery.routes");  // absolute: kept
  unsigned hw = std::thread::hardware_concurrency();
  CHECK(c.workers == std::clamp<uint32_t>(hw ? hw : 1, 1, kMaxWorkers));
  CHECK(c.listen.empty());
  CHECK_FALSE(c.admin);
  CHECK(c.log_format == LogFormat::Json);
  CHECK(c.log_destination == LogDestination::Stderr);
  CHECK(c.upstreams.empty());
  CHECK(c.show_error_details.empty());
  CHECK_FALSE(c.shows_error_details(":80"));
  CHECK(c.trusted_proxies.empty());
  CHECK_FALSE(c.uses_proxy_protocol(":80"));
  // The admin listener takes changes from this machine only, unless told otherwise.
  std::vector<std::string> writers;
  for (const Cidr& x : c.admin_write_from) writers.push_back(to_string(x));
  CHECK(writers == std::vector<std::string>{"127.0.0.0/8", "::1/128"});
  CHECK(any_contains(c.admin_write_from, *parse_ip("127.0.0.1")));
  CHECK(any_contains(c.admin_write_from, *parse_ip("::ffff:127.0.0.1")));  // a dual-stack socket's view of it
  CHECK_FALSE(any_contains(c.admin_write_from, *parse_ip("10.0.0.1")));
  CHECK_FALSE(any_contains(c.admin_write_from, *parse_ip("::2")));
  std::vector<std::string> readers;  // and shows the plan and the migrations to it only
  for (const Cidr& x : c.admin_read_from) readers.push_back(to_string(x));
  CHECK(readers == writers);
  CHECK(c.http2_tls);
  CHECK_FALSE(c.takes_h2c(":80"));
  CHECK(c.http2_max_streams == 128);
  const Limits defaults;
  CHECK(c.limits.request_line == defaults.request_line);
  CHECK(c.limits.body == 1 << 20);
  CHECK(c.limits.header_timeout_ms == 60'000);
  CHECK(c.limits.idle_timeout_ms == 75'000);
}

TEST_CASE("a log file and ipv6 and every-interface addresses are read", "[config]") {
  LoadedConfig r = parse_config(
      "plan = \"g.plan\"\n[listen]\n\":80\" = \":8080\"\n\":443\" = \"[::1]:8443\"\n"
      "[log]\nformat = \"text\"\ndestination = \"logs/gw.log\"\n",
      "conf/gateway.toml");
  INFO(rendered(r).size());
  REQUIRE(r.config);
  CHECK(r.config->listen[0].bind == HostPort{"::1", 8443});
  CHECK(to_string(r.config->listen[0].bind) == "[::1]:8443");
  CHECK(r.config->listen[1].bind == HostPort{"", 8080});
  CHECK(r.config->log_format == LogFormat::Text);
  CHECK(r.config->log_destination == LogDestination::File);
  CHECK(r.config->log_file == "conf/logs/gw.log");
}

TEST_CASE("log.shadow_diffs names a file beside the config and never an empty one", "[config]") {
  LoadedConfig r = parse_config("plan = \"g.plan\"\n[log]\nshadow_diffs = \"diffs.jsonl\"\n", "conf/gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->shadow_diffs_file == "conf/diffs.jsonl");
  CHECK(parse_config("plan = \"g.plan\"\n", "gateway.toml").config->shadow_diffs_file.empty());
  CHECK(errors_of("plan = \"g.plan\"\n[log]\nshadow_diffs = \"\"\n") ==
        std::vector<std::string>{"gateway.toml:3:16: log.shadow_diffs: must name a file, not be empty"});
}

TEST_CASE("log.destination \"off\" turns the access log off, and a file named off is ./off", "[config]") {
  LoadedConfig r = parse_config("plan = \"g.plan\"\n[log]\ndestination = \"off\"\n", "conf/gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->log_destination == LogDestination::Off);
  CHECK(r.config->log_file.empty());
  r = parse_config("plan = \"g.plan\"\n[log]\ndestination = \"./off\"\n", "conf/gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->log_destination == LogDestination::File);
  CHECK(r.config->log_file == "conf/./off");
  CHECK(errors_of("plan = \"g.plan\"\n[log]\ndestination = \"\"\n") ==
        std::vector<std::string>{
            "gateway.toml:3:15: log.destination: must be \"stderr\", \"stdout\", \"off\" or a file path"});
}

TEST_CASE("errors.show_details lists the plan listeners whose clients see error details", "[config]") {
  LoadedConfig r = parse_config("plan = \"g.plan\"\n[errors]\nshow_details = [\":80\", \":443\"]\n", "gateway.toml");
  REQUIRE(r.config);
  const auto& d = r.config->show_error_details;
  REQUIRE(d.size() == 2);
  CHECK((d[0].plan_address == ":80" && d[0].line == 3 && d[0].column == 17));
  CHECK((d[1].plan_address == ":443" && d[1].line == 3 && d[1].column == 24));
  CHECK(r.config->shows_error_details(":80"));
  CHECK(r.config->shows_error_details(":443"));
  CHECK_FALSE(r.config->shows_error_details(":8080"));
  r = parse_config("plan = \"g.plan\"\n[errors]\nshow_details = []\n", "gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->show_error_details.empty());
  CHECK_FALSE(r.config->shows_error_details(":80"));
}

TEST_CASE("errors.show_details must be an array of listener names, each once, and [errors] has no other key",
          "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[errors]\nshow_detail = [\":80\"]\n") ==
        std::vector<std::string>{"gateway.toml:3:1: errors.show_detail: unknown key 'show_detail'; did you mean "
                                 "'show_details'? (the keys in [errors] are show_details)"});
  CHECK(errors_of("plan = \"g.plan\"\n[errors]\nshow_details = \":80\"\n") ==
        std::vector<std::string>{"gateway.toml:3:16: errors.show_details: must be an array of the plan's listeners, "
                                 "like [\":80\", \":443\"], not a string"});
  CHECK(errors_of("plan = \"g.plan\"\n[errors]\nshow_details = [\":80\", 443, \":80\"]\n") ==
        std::vector<std::string>{
            "gateway.toml:3:24: errors.show_details: must be a string like \":80\", not an integer",
            "gateway.toml:3:29: errors.show_details: \":80\" is listed twice",
        });
  CHECK(errors_of("plan = \"g.plan\"\nerrors = true\n") ==
        std::vector<std::string>{
            "gateway.toml:2:10: errors: must be a table, like [errors] show_details = [\":80\"], not a boolean"});
}

TEST_CASE("[clients] reads trusted proxy ranges of both families and where the PROXY protocol is spoken",
          "[config]") {
  LoadedConfig r = parse_config(
      "plan = \"g.plan\"\n[clients]\ntrusted_proxies = [\"10.0.0.0/8\", \"192.168.1.7\", \"fd00::/8\", "
      "\"::ffff:172.16.0.0/108\"]\nproxy_protocol = true\n",
      "gateway.toml");
  REQUIRE(r.config);
  const GatewayConfig& c = *r.config;
  std::vector<std::string> ranges;
  for (const Cidr& x : c.trusted_proxies) ranges.push_back(to_string(x));
  CHECK(ranges == std::vector<std::string>{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "172.16.0.0/12"});
  CHECK(c.proxy_protocol_everywhere);
  CHECK(c.uses_proxy_protocol(":80"));
  CHECK(c.uses_proxy_protocol(":443"));

  r = parse_config("plan = \"g.plan\"\n[clients]\nproxy_protocol = [\":80\"]\n", "gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->uses_proxy_protocol(":80"));
  CHECK_FALSE(r.config->uses_proxy_protocol(":443"));
  CHECK(r.config->trusted_proxies.empty());
  r = parse_config("plan = \"g.plan\"\n[clients]\nproxy_protocol = false\ntrusted_proxies = []\n", "gateway.toml");
  REQUIRE(r.config);
  CHECK_FALSE(r.config->uses_proxy_protocol(":80"));
}

TEST_CASE("admin.write_from and read_from replace their defaults and refuse what trusted_proxies refuses", "[config]") {
  LoadedConfig r = parse_config("plan = \"g.plan\"\n[admin]\naddress = \":9901\"\nwrite_from = []\n", "gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->admin_write_from.empty());  // a read-only admin API
  LoadedConfig rr = parse_config("plan = \"g.plan\"\n[admin]\nread_from = [\"10.1.0.0/16\"]\n", "gateway.toml");
  REQUIRE(rr.config);
  REQUIRE(rr.config->admin_read_from.size() == 1);
  CHECK(to_string(rr.config->admin_read_from[0]) == "10.1.0.0/16");
  CHECK(rr.config->admin_write_from.size() == 2);  // each has its own default
  const std::vector<std::string> bad_read_from{
      "gateway.toml:3:14: admin.read_from: '10.0.0.1/8' has bits set after its /8 prefix; did you mean "
      "\"10.0.0.0/8\"?"};
  CHECK(errors_of("plan = \"g.plan\"\n[admin]\nread_from = [\"10.0.0.1/8\"]\n") == bad_read_from);
  CHECK(errors_of("plan = \"g.plan\"\n[admin]\naddress = \":9901\"\nwrite_from = [\"10.0.0.1/8\", \"::1\", \"::1\"]\n"
                  "write_form = 1\n") ==
        std::vector<std::string>{
            "gateway.toml:4:15: admin.write_from: '10.0.0.1/8' has bits set after its /8 prefix; did you mean "
            "\"10.0.0.0/8\"?",
            "gateway.toml:4:36: admin.write_from: \"::1/128\" is listed twice",
            "gateway.toml:5:1: admin.write_form: unknown key 'write_form'; did you mean 'write_from'? (the keys in "
            "[admin] are address, write_from or read_from)",
        });
  CHECK(errors_of("plan = \"g.plan\"\n[admin]\nwrite_from = \"127.0.0.1\"\n") ==
        std::vector<std::string>{"gateway.toml:3:14: admin.write_from: must be an array of address ranges, like "
                                 "[\"10.0.0.0/8\", \"::1/128\"], not a string"});
}

TEST_CASE("[clients] refuses bad ranges, unknown keys and values of the wrong kind, each at its place", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[clients]\ntrusted_proxies = [\"10.0.0.0/33\", \"10.0.0.1/8\", 10,\n"
                  "  \"proxy.internal\", \"::1\", \"::1/128\"]\ntrusted_proxy = []\nproxy_protocol = \"yes\"\n") ==
        std::vector<std::string>{
            "gateway.toml:3:20: clients.trusted_proxies: '10.0.0.0/33': the prefix length of an IPv4 range is 0 to "
            "32, not 33",
            "gateway.toml:3:35: clients.trusted_proxies: '10.0.0.1/8' has bits set after its /8 prefix; did you mean "
            "\"10.0.0.0/8\"?",
            "gateway.toml:3:49: clients.trusted_proxies: must be a string like \"10.0.0.0/8\", not an integer",
            "gateway.toml:4:3: clients.trusted_proxies: 'proxy.internal' is not an IPv4 address or range, like "
            "\"10.0.0.0/8\"",
            "gateway.toml:4:28: clients.trusted_proxies: \"::1/128\" is listed twice",
            "gateway.toml:5:1: clients.trusted_proxy: unknown key 'trusted_proxy'; did you mean 'trusted_proxies'? "
            "(the keys in [clients] are trusted_proxies or proxy_protocol)",
            "gateway.toml:6:18: clients.proxy_protocol: must be true, false or an array of the plan's listeners, like "
            "[\":80\"], not a string",
        });
  CHECK(errors_of("plan = \"g.plan\"\n[clients]\ntrusted_proxies = \"10.0.0.0/8\"\nproxy_protocol = [\":80\", \":80\"]\n") ==
        std::vector<std::string>{
            "gateway.toml:3:19: clients.trusted_proxies: must be an array of address ranges, like [\"10.0.0.0/8\", "
            "\"::1/128\"], not a string",
            "gateway.toml:4:26: clients.proxy_protocol: \":80\" is listed twice",
        });
  CHECK(errors_of("plan = \"g.plan\"\nclients = 1\n") ==
        std::vector<std::string>{
            "gateway.toml:2:11: clients: must be a table, like [clients] trusted_proxies = [\"10.0.0.0/8\"], not an "
            "integer"});
}

TEST_CASE("clients.proxy_protocol may name only listeners of the plan", "[config]") {
  auto plan = gallery_plan();
  const std::string bound = "plan = \"g.plan\"\n[listen]\n\":80\" = \":8080\"\n\":443\" = \":8443\"\n[clients]\n";
  LoadedConfig good = parse_config(bound + "proxy_protocol = [\":443\"]\n", "gateway.toml");
  REQUIRE(good.config);
  CHECK(check_against_plan(*good.config, *plan, "gateway.toml").empty());
  LoadedConfig bad = parse_config(bound + "proxy_protocol = [\":433\", \":8080\"]\n", "gateway.toml");
  REQUIRE(bad.config);
  std::vector<std::string> errors;
  for (const auto& e : check_against_plan(*bad.config, *plan, "gateway.toml")) errors.push_back(render(e));
  CHECK(errors == std::vector<std::string>{
                      "gateway.toml:6:19: clients.proxy_protocol: the plan has no listener \":433\"; did you mean "
                      "\":443\"?",
                      "gateway.toml:6:27: clients.proxy_protocol: the plan has no listener \":8080\"; its listeners "
                      "are \":80\" or \":443\"",
                  });
}

TEST_CASE("http2 settings: ALPN on or off and prior knowledge on plain listeners of the plan and a stream cap", "[config]") {
  auto plan = gallery_plan();
  const std::string bound = "plan = \"g.plan\"\n[listen]\n\":80\" = \":8080\"\n\":443\" = \":8443\"\n[http2]\n";
  LoadedConfig good = parse_config(bound + "tls = false\nprior_knowledge = [\":80\"]\nmax_concurrent_streams = 10\n",
                                   "gateway.toml");
  REQUIRE(good.config);
  CHECK_FALSE(good.config->http2_tls);
  CHECK(good.config->takes_h2c(":80"));
  CHECK_FALSE(good.config->takes_h2c(":443"));
  CHECK(good.config->http2_max_streams == 10);
  CHECK(check_against_plan(*good.config, *plan, "gateway.toml").empty());
  LoadedConfig bad = parse_config(bound + "prior_knowledge = [\":443\", \":8080\"]\n", "gateway.toml");
  REQUIRE(bad.config);
  std::vector<std::string> errors;
  for (const auto& e : check_against_plan(*bad.config, *plan, "gateway.toml")) errors.push_back(render(e));
  CHECK(errors == std::vector<std::string>{
                      "gateway.toml:6:20: http2.prior_knowledge: listener \":443\" is https: its clients get HTTP/2 by "
                      "ALPN ([http2] tls); prior knowledge is for plain listeners",
                      "gateway.toml:6:28: http2.prior_knowledge: the plan has no listener \":8080\"; its listeners are "
                      "\":80\" or \":443\"",
                  });
  CHECK(errors_of("plan = \"g.plan\"\n[http2]\nmax_concurrent_streams = 0\ntls = \"yes\"\nh2c = true\n") ==
        std::vector<std::string>{
            "gateway.toml:3:26: http2.max_concurrent_streams: must be an integer from 1 to 1024, not 0",
            "gateway.toml:4:7: http2.tls: must be true or false, not a string",
            "gateway.toml:5:1: http2.h2c: unknown key 'h2c' (the keys in [http2] are tls, prior_knowledge or "
            "max_concurrent_streams)",
        });
}

TEST_CASE("tls.session_tickets and resolver.hosts_file", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[tls]\nsession_tickets = \"no\"\n") ==
        std::vector<std::string>{"gateway.toml:3:19: tls.session_tickets: must be true or false, not a string"});
  auto r = banyan::config::parse_config("plan = \"g.plan\"\n[tls]\nsession_tickets = false\n[resolver]\nhosts_file = \"h\"\n",
                                        "conf/gateway.toml");
  REQUIRE(r.config);
  CHECK_FALSE(r.config->tls_session_tickets);
  CHECK(r.config->hosts_file == "conf/h");
  CHECK(errors_of("plan = \"g.plan\"\n[resolver]\nhosts_file = \"\"\n") ==
        std::vector<std::string>{"gateway.toml:3:14: resolver.hosts_file: must name a hosts(5) file, not be empty"});
}

TEST_CASE("tls.ticket_key_file and tls.ticket_key_rotation", "[config]") {
  auto r = banyan::config::parse_config("plan = \"g.plan\"\n[tls]\nticket_key_file = \"keys/t.key\"\n", "conf/gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->tls_ticket_key_file == "conf/keys/t.key");
  CHECK(r.config->tls_ticket_key_rotation_ms == 3600 * 1000);
  r = banyan::config::parse_config("plan = \"g.plan\"\n[tls]\nticket_key_rotation = \"12h\"\n", "gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->tls_ticket_key_rotation_ms == 12 * 3600 * 1000);
  CHECK(r.config->tls_ticket_key_file.empty());
  CHECK(errors_of("plan = \"g.plan\"\n[tls]\nticket_key_rotation = \"10ms\"\n") ==
        std::vector<std::string>{"gateway.toml:3:23: tls.ticket_key_rotation: must be at least 1s"});
  CHECK(errors_of("plan = \"g.plan\"\n[tls]\nticket_key_file = \"t.key\"\nticket_key_rotation = \"1h\"\n") ==
        std::vector<std::string>{"gateway.toml:4:23: tls.ticket_key_rotation: a ticket_key_file's keys are rotated by "
                                 "rewriting the file and reloading, not by the gateway"});
}

TEST_CASE("an unknown key or table names the closest allowed key and lists them", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\nworker = 2\n") ==
        std::vector<std::string>{
            "gateway.toml:2:1: worker: unknown key 'worker'; did you mean 'workers'? (the keys at "
            "the top are plan, workers, listen, admin, log, errors, clients, upstreams, resolver, state, tls, http2 or limits)"});
  CHECK(errors_of("plan = \"g.plan\"\n[limit]\nbody = \"1MiB\"\n") ==
        std::vector<std::string>{
            "gateway.toml:2:2: limit: unknown key 'limit'; did you mean 'limits'? (the keys at "
            "the top are plan, workers, listen, admin, log, errors, clients, upstreams, resolver, state, tls, http2 or limits)"});
  CHECK(errors_of("plan = \"g.plan\"\n[limits]\n  header_timout = \"1s\"\n") ==
        std::vector<std::string>{
            "gateway.toml:3:3: limits.header_timout: unknown key 'header_timout'; did you mean 'header_timeout'? (the "
            "keys in [limits] are request_line, header_bytes, header_count, body, header_timeout, body_timeout, "
            "idle_timeout, drain_timeout or connections)"});
  CHECK(errors_of("plan = \"g.plan\"\n[log]\nzzz = 1\n") ==
        std::vector<std::string>{
            "gateway.toml:3:1: log.zzz: unknown key 'zzz' (the keys in [log] are format, destination or shadow_diffs)"});
}

TEST_CASE("a value of the wrong type says which type it must be", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\nworkers = \"2\"\n") ==
        std::vector<std::string>{"gateway.toml:2:11: workers: must be an integer from 1 to 256, not a string"});
  CHECK(errors_of("plan = \"g.plan\"\nworkers = 0\n") ==
        std::vector<std::string>{"gateway.toml:2:11: workers: must be an integer from 1 to 256, not 0"});
  CHECK(errors_of("plan = \"g.plan\"\nworkers = 2.0\n") ==
        std::vector<std::string>{"gateway.toml:2:11: workers: must be an integer from 1 to 256, not a float"});
  CHECK(errors_of("plan = \"g.plan\"\n[limits]\nheader_timeout = 10\n") ==
        std::vector<std::string>{
            "gateway.toml:3:18: limits.header_timeout: must be a string like \"10s\", not an integer"});
  CHECK(errors_of("plan = \"g.plan\"\n[limits]\nbody = 1979-05-27\n") ==
        std::vector<std::string>{"gateway.toml:3:8: limits.body: must be a string like \"8KiB\", not a date"});
  CHECK(errors_of("plan = \"g.plan\"\nlisten = [1]\n") ==
        std::vector<std::string>{
            "gateway.toml:2:10: listen: must be a table, like [listen] \":80\" = \"127.0.0.1:8080\", not an array"});
  CHECK(errors_of("plan = 3\n") ==
        std::vector<std::string>{"gateway.toml:1:8: plan: must be a string like \"gallery.plan\", not an integer"});
}

TEST_CASE("bad units and values are refused with the routes language's messages", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[limits]\nbody = \"1GB\"\nidle_timeout = \"5x\"\nheader_bytes = \"0B\"\n"
                  "body_timeout = \"-5s\"\nconnections = 0\n") ==
        std::vector<std::string>{
            "gateway.toml:3:8: limits.body: unknown size unit 'GB'; sizes are binary: did you mean 'GiB'?",
            "gateway.toml:4:16: limits.idle_timeout: unknown duration unit 'x'; use ms, s, m, h or d",
            "gateway.toml:5:16: limits.header_bytes: must be more than 0B",
            "gateway.toml:6:16: limits.body_timeout: duration '-5s' does not start with a number; write it like 10s",
            "gateway.toml:7:15: limits.connections: must be an integer from 1 to 10000000, not 0",
        });
  CHECK(errors_of("plan = \"g.plan\"\n[log]\nformat = \"xml\"\n") ==
        std::vector<std::string>{"gateway.toml:3:10: log.format: must be \"json\" or \"text\""});
  CHECK(errors_of("plan = \"gallery.toml\"\n") ==
        std::vector<std::string>{"gateway.toml:1:8: plan: must name a compiled .plan file or a .routes file"});
  CHECK(errors_of("workers = 2\n") ==
        std::vector<std::string>{"gateway.toml: plan: missing; name the plan to serve, like plan = \"gallery.plan\""});
}

TEST_CASE("addresses must be host:port or [v6]:port with a port from 1 to 65535", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[listen]\n\":80\" = \"127.0.0.1\"\n\":81\" = \"a:70000\"\n\":82\" = \"::1:80\"\n"
                  "\":83\" = \"[x]:80\"\n[admin]\naddress = \"a b:1\"\n"
                  "[upstreams.monolith]\nservers = [\":80\"]\n") ==
        std::vector<std::string>{
            "gateway.toml:3:9: listen.\":80\": '127.0.0.1' has no port; write it as host:port, [v6]:port or :port",
            "gateway.toml:4:9: listen.\":81\": 'a:70000': the port must be a number from 1 to 65535",
            "gateway.toml:5:9: listen.\":82\": '::1:80': write an IPv6 address in brackets, like [::1]:8080",
            "gateway.toml:6:9: listen.\":83\": '[x]:80': brackets are for IPv6 addresses",
            "gateway.toml:8:11: admin.address: 'a b:1': 'a b' is not a host name or IPv4 address",
            "gateway.toml:10:12: upstreams.monolith.servers: ':80' has no host; write it as host:port or [v6]:port",
        });
}

TEST_CASE("two listeners, or a listener and the admin, may not bind the same address", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[listen]\n\":80\" = \"127.0.0.1:8080\"\n\":443\" = \":8080\"\n"
                  "[admin]\naddress = \"127.0.0.1:8080\"\n") ==
        std::vector<std::string>{
            "gateway.toml:4:10: listen.\":443\": :8080 is already where \":80\" binds (line 3); give each listener its "
            "own",
            "gateway.toml:6:11: admin.address: 127.0.0.1:8080 is also where listener \":443\" binds",
            "gateway.toml:6:11: admin.address: 127.0.0.1:8080 is also where listener \":80\" binds",
        });
}

TEST_CASE("an upstream override needs its servers, once each, and a sane refresh", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\n[upstreams.a]\nresolve_every = \"10ms\"\n[upstreams.b]\nservers = []\n"
                  "[upstreams.c]\nservers = [\"x:1\", \"x:1\"]\n") ==
        std::vector<std::string>{
            "gateway.toml:2:12: upstreams.a.servers: missing; list this environment's servers, like servers = "
            "[\"backend:80\"]",
            "gateway.toml:3:17: upstreams.a.resolve_every: must be at least 1s",
            "gateway.toml:5:11: upstreams.b.servers: must be a non-empty array of \"host:port\" strings, like "
            "[\"backend:80\"]",
            "gateway.toml:7:19: upstreams.c.servers: x:1 is listed twice",
        });
}

TEST_CASE("a syntax error gives toml++'s reason at its line and column", "[config]") {
  CHECK(errors_of("plan = \"g.plan\"\nworkers = \n") ==
        std::vector<std::string>{"gateway.toml:2:11: syntax error in key-value pair: expected value, saw '\\n'"});
  CHECK(errors_of("plan = \"a.plan\"\nplan = \"b.plan\"\n") ==
        std::vector<std::string>{
            "gateway.toml:2:8: syntax error in key-value pair: cannot redefine existing string 'plan'"});
}

TEST_CASE("every mistake in a file is reported, in file order", "[config]") {
  auto errors = errors_of(
      "workers = 300\n[listen]\n\":80\" = \"x\"\n[limits]\nbody = \"1MB\"\nheader_count = \"100\"\n"
      "[log]\ndestination = 5\n[lgo]\n");
  for (const auto& e : errors) INFO(e);
  REQUIRE(errors.size() == 7);
  CHECK(errors[0].find("gateway.toml:1:11: workers:") == 0);
  CHECK(errors[1].find("gateway.toml:3:9: listen.\":80\":") == 0);
  CHECK(errors[2].find("gateway.toml:5:8: limits.body:") == 0);
  CHECK(errors[3].find("gateway.toml:6:16: limits.header_count:") == 0);
  CHECK(errors[4].find("gateway.toml:8:15: log.destination:") == 0);
  CHECK(errors[5].find("gateway.toml:9:2: lgo: unknown key 'lgo'; did you mean 'log'?") == 0);
  CHECK(errors[6].find("gateway.toml: plan: missing") == 0);
}

TEST_CASE("hostile files give errors: too large, deeply nested, not UTF-8", "[config]") {
  CHECK(errors_of(std::string(kMaxConfigBytes + 1, '#')) ==
        std::vector<std::string>{
            "gateway.toml: is larger than 1048576 bytes, the budget for a configuration (is this the right file?)"});
  CHECK(errors_of("plan = \"g.plan\"\nx = " + std::string(100'000, '[')).size() == 1);
  std::string inline_tables = "x = ";
  for (int i = 0; i < 10'000; ++i) inline_tables += "{a=";
  CHECK(errors_of(inline_tables).size() == 1);
  CHECK(errors_of("plan = \"\xff\xfe\"\n").size() == 1);
  CHECK(errors_of(std::string("plan = \"g.plan\"\0\n", 17)).size() == 1);
}

TEST_CASE("a file is read from disk and its paths are resolved against its directory", "[config]") {
  std::string dir = std::filesystem::temp_directory_path() / ("banyan-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_file(dir + "/gateway.toml", "plan = \"plans/g.plan\"\n");
  LoadedConfig r = load_config(dir + "/gateway.toml");
  REQUIRE(r.config);
  CHECK(r.config->plan_path == dir + "/plans/g.plan");
  LoadedConfig missing = load_config(dir + "/absent.toml");
  REQUIRE(missing.errors.size() == 1);
  CHECK(render(missing.errors[0]) == dir + "/absent.toml: cannot be opened: No such file or directory");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the configuration must bind every listener of the plan and name only its upstreams", "[config]") {
  auto plan = gallery_plan();
  LoadedConfig good = parse_config(doc_example(), "gateway.toml");
  REQUIRE(good.config);
  CHECK(check_against_plan(*good.config, *plan, "gateway.toml").empty());

  LoadedConfig bad = parse_config(
      "plan = \"g.plan\"\n[listen]\n\":8080\" = \":8080\"\n\":80\" = \":80\"\n[upstreams.monolit]\nservers = "
      "[\"a:1\"]\n"
      "[upstreams.zzzzzz]\nservers = [\"a:1\"]\n",
      "gateway.toml");
  REQUIRE(bad.config);
  std::vector<std::string> errors;
  for (const auto& e : check_against_plan(*bad.config, *plan, "gateway.toml")) errors.push_back(render(e));
  CHECK(errors == std::vector<std::string>{
                      "gateway.toml:3:11: listen.\":8080\": the plan has no listener \":8080\"; its listeners are "
                      "\":80\" or \":443\"",
                      "gateway.toml: listen: the plan's listener \":443\" is not bound; add \":443\" = \"host:port\" "
                      "under [listen]",
                      "gateway.toml:5:12: upstreams.monolit: the plan has no upstream \"monolit\"; did you mean "
                      "\"monolith\"?",
                      "gateway.toml:7:12: upstreams.zzzzzz: the plan has no upstream \"zzzzzz\"; its upstreams are "
                      "\"monolith\", \"iotd\" or \"greeter\"",
                  });
}

TEST_CASE("errors.show_details may name only listeners of the plan", "[config]") {
  auto plan = gallery_plan();
  const std::string bound = "plan = \"g.plan\"\n[listen]\n\":80\" = \":8080\"\n\":443\" = \":8443\"\n[errors]\n";
  LoadedConfig good = parse_config(bound + "show_details = [\":443\", \":80\"]\n", "gateway.toml");
  REQUIRE(good.config);
  CHECK(check_against_plan(*good.config, *plan, "gateway.toml").empty());

  LoadedConfig bad =
      parse_config(bound + "show_details = [\":80\", \":433\",\n  \"127.0.0.1:8080\"]\n", "gateway.toml");
  REQUIRE(bad.config);
  std::vector<std::string> errors;
  for (const auto& e : check_against_plan(*bad.config, *plan, "gateway.toml")) errors.push_back(render(e));
  CHECK(errors == std::vector<std::string>{
                      "gateway.toml:6:24: errors.show_details: the plan has no listener \":433\"; did you mean "
                      "\":443\"?",
                      "gateway.toml:7:3: errors.show_details: the plan has no listener \"127.0.0.1:8080\"; its "
                      "listeners are \":80\" or \":443\"",
                  });
}

TEST_CASE("random damage to a valid file gives a config or errors, never a crash", "[config]") {
  const std::string valid = doc_example();
  const std::string alphabet = "[]{}=\".,:#\n \\'0123456789abcxyzKiBms-_\x01\xff\xc3";
  std::mt19937 rng(20261127);
  int parsed = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      switch (rng() % 5) {
        case 0:
          text[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text.erase(at, 1 + rng() % 8);
          break;
        case 3:
          text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 40));
          break;
        default:
          text[at] = static_cast<char>(rng() % 256);
          break;
      }
    }
    LoadedConfig r = parse_config(text, "gateway.toml");
    CHECK(r.config.has_value() == r.errors.empty());
    for (const auto& err : r.errors) CHECK_FALSE(err.message.empty());
    (r.config ? parsed : refused)++;
  }
  CHECK(refused > 1000);  // the damage is real
  CHECK(parsed > 10);     // and some of it is harmless (comments, spaces)
}

}  // namespace banyan::config
