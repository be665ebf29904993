// Parse tree -> AST for sites and their routes (internal to compiler/parse/).
#pragma once

#include <optional>

#include "RoutesParser.h"
#include "compiler/ast/ast.h"
#include "compiler/parse/build_common.h"

namespace banyan::parse {

std::optional<ast::Site> build_site(RoutesParser::SiteDeclContext* c, ValueReader& v);
std::optional<ast::PathMatcher> build_path_matcher(RoutesParser::PathMatcherContext* c, ValueReader& v);

}  // namespace banyan::parse
