// The Banyan routes language: syntax only (no actions, no predicates).
// Meaning lives in compiler/: units and names are checked when the AST is built
// (compiler/parse/build_ast.cpp) and by the passes in compiler/sema/.
// The language reference by example is grammar/README.md.
grammar Routes;

file : item* EOF ;

item
  : includeDecl
  | listenDecl
  | tlsDecl
  | upstreamDecl
  | cacheDecl
  | siteDecl
  | migrationDecl
  ;

// ---------------------------------------------------------------- include
includeDecl : 'include' STRING ;

// ---------------------------------------------------------------- listen
// listen http :80 { redirect https }     listen https "127.0.0.1:8443"
listenDecl  : 'listen' scheme=IDENT address listenBlock? ;
address     : ADDRESS | STRING ;
listenBlock : '{' listenStmt* '}' ;
listenStmt  : 'redirect' IDENT INT? ;

// ---------------------------------------------------------------- tls
tlsDecl  : 'tls' name '{' tlsStmt* '}' ;
tlsStmt
  : 'certificate' STRING                  # tlsCertificate
  | 'key' STRING                          # tlsKey
  | 'min_version' TLS_VERSION             # tlsMinVersion
  | 'max_version' TLS_VERSION             # tlsMaxVersion
  | 'protocols' TLS_VERSION+              # tlsProtocols
  | 'ciphers' STRING                      # tlsCiphers
  | 'hsts' QUANTITY IDENT*                # tlsHsts
  | 'allow' IDENT                         # tlsAllow
  ;

// ---------------------------------------------------------------- upstream
upstreamDecl : 'upstream' name '{' upstreamStmt* '}' ;
upstreamStmt
  : 'server' STRING serverOption*                   # upServer
  | 'balance' IDENT hashKey?                        # upBalance
  | 'health' IDENT? PATH healthOption*              # upHealth
  | 'sticky' 'cookie' STRING ('ttl' QUANTITY)?      # upSticky
  | 'connect_timeout' QUANTITY                      # upConnectTimeout
  | 'read_timeout' QUANTITY                         # upReadTimeout
  | 'retries' INT                                   # upRetries
  | 'resolve' 'every' QUANTITY                      # upResolve
  | 'keepalive' INT                                 # upKeepalive
  | 'protocol' IDENT                                # upProtocol
  | 'fail' INT 'within' QUANTITY 'cooldown' QUANTITY  # upPassiveHealth
  ;
serverOption : 'weight' INT | 'backup' | 'max_conns' INT ;
hashKey      : 'header' STRING | 'cookie' STRING | IDENT ;
healthOption : 'every' QUANTITY | 'timeout' QUANTITY | 'expect' INT+ | 'fails' INT | 'passes' INT ;

// ---------------------------------------------------------------- cache zones
cacheDecl : 'cache' name '{' cacheZoneStmt* '}' ;
cacheZoneStmt
  : 'memory' QUANTITY                     # zoneMemory
  | 'disk' STRING QUANTITY                # zoneDisk
  | 'max_entry' QUANTITY                  # zoneMaxEntry
  | 'inactive' QUANTITY                   # zoneInactive
  ;

// ---------------------------------------------------------------- sites and routes
siteDecl : 'site' hostSpec (',' hostSpec)* '{' siteStmt* '}' ;
hostSpec : STRING | 'default' ;
siteStmt
  : 'tls' name                            # siteTls
  | routeDecl                             # siteRoute
  ;

routeDecl : 'route' pathMatcher '{' routeStmt* '}' ;
// `= /a` exact, `/a` segment prefix, `/a/:id/**` glob, `~ "re"` RE2 regex
pathMatcher : '=' PATH | PATH | '~' STRING ;

routeStmt
  // predicates
  : 'method' IDENT+                       # rMethod
  | 'header' STRING valueMatch?           # rHeader
  | 'cookie' STRING valueMatch?           # rCookie
  | 'query' STRING valueMatch?            # rQuery
  // actions
  | 'to' name                             # rProxy
  | 'redirect' INT? value                 # rRedirect
  | 'respond' INT value?                  # rRespond
  // policies
  | 'rewrite' PATH                        # rRewrite
  | 'request_header' IDENT value          # rRequestHeader
  | 'response_header' IDENT value         # rResponseHeader
  | 'remove_request_header' IDENT         # rRemoveRequestHeader
  | 'remove_response_header' IDENT        # rRemoveResponseHeader
  | 'cache' name cachePolicy?             # rCache
  | 'compress' IDENT+                     # rCompress
  | 'connect_timeout' QUANTITY            # rConnectTimeout
  | 'read_timeout' QUANTITY               # rReadTimeout
  | 'retries' INT                         # rRetries
  | 'max_body' QUANTITY                   # rMaxBody
  | 'allow' IDENT+                        # rAllow
  ;
valueMatch : '=' STRING | '~' STRING | 'prefix' STRING ;
value      : STRING | VARIABLE | IDENT | PATH ;

cachePolicy : '{' cachePolicyStmt* '}' ;
cachePolicyStmt
  : 'valid' (INT+ | 'any') QUANTITY       # cValid
  | 'stale' staleWord+                    # cStale
  | 'key' value+                          # cKey
  | 'allow' IDENT+                        # cAllow
  ;

// ---------------------------------------------------------------- migrations
migrationDecl : 'migration' STRING '{' migrationStmt* '}' ;
migrationStmt
  : 'move' pathMatcher (',' pathMatcher)* ('on' STRING)? 'from' name 'to' name   # mMove
  | 'shadow' PERCENT ('for' QUANTITY)? ('compare' compareWord (',' compareWord)* ('ignore' STRING (',' STRING)*)?)? # mShadow
  | 'shift' shiftStep (',' shiftStep)*                                           # mShift
  | 'bucket' ('cookie' STRING | 'header' STRING | 'query' STRING | IDENT STRING?) # mBucket
  | 'rollback' 'when' IDENT COMPARATOR threshold 'over' QUANTITY                 # mRollback
  | 'start' STRING                                                               # mStart
  | 'testers' (IDENT | 'header' | 'cookie') STRING STRING                        # mTesters
  | 'allow' IDENT+                                                               # mAllow
  ;
staleWord : IDENT | 'timeout' ;   // `timeout` is also a keyword of health checks
// `header` is a keyword; taken here so `compare status, header` gets "did you mean 'headers'".
compareWord : IDENT | 'header' | 'cookie' | 'query' ;

shiftStep : PERCENT ('for' QUANTITY | 'hold')? ;
threshold : (name SIGN)? (PERCENT | QUANTITY | INT) ;

name : IDENT ;

// ---------------------------------------------------------------- tokens
// The compiler lexes with compiler/parse/token_scanner.cpp, these rules written by
// hand (the generated lexer was a third of a compile). Change a rule here and there
// together: tests/unit/parse/token_scanner_test.cpp and the parse_routes fuzzer
// compare the two lexers' tokens and fail on any difference. Literal tokens
// (keywords, one-character punctuation) need no change there: the scanner takes them
// from the generated vocabulary.
STRING      : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '"' ;
// A string without its closing quote is still a string to the parser, so that one
// missing quote yields one diagnostic (the lexer pass reports it), not a cascade.
UNTERMINATED_STRING : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* -> type(STRING) ;
PERCENT     : DIGITS ('.' DIGITS)? '%' ;
// Durations (5s) and sizes (64MiB) share one token: the unit is checked where the
// value's kind is known, so `5x` gets "unknown duration unit", not a syntax error.
QUANTITY    : DIGITS ('.' DIGITS)? [a-zA-Z]+ ;
TLS_VERSION : 'TLS' 'v'? '1' ('.' [0-3])? ;
INT         : DIGITS ;
ADDRESS     : (DIGITS '.' DIGITS '.' DIGITS '.' DIGITS | '[' [0-9a-fA-F:.]+ ']')? ':' DIGITS ;
COMPARATOR  : '>' | '<' | '>=' | '<=' ;
SIGN        : '+' | '-' ;
PATH        : '/' ~[ \t\r\n{}"#,]* ;
VARIABLE    : '$' [a-zA-Z_] [a-zA-Z0-9_]* ;
IDENT       : [a-zA-Z_] [a-zA-Z0-9_\-]* ;
COMMENT     : '#' ~[\r\n]* -> channel(HIDDEN) ;
WS          : [ \t\r\n]+ -> skip ;
// Anything else: kept off the parser's channel and reported by the lexer pass.
BAD_CHAR    : . -> channel(2) ;

fragment DIGITS : [0-9]+ ;
