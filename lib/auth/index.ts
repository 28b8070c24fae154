/** API tokens and principals (the domain verbs that create and check them live in lib/domain). */
export { TOKEN_PATTERN, generateToken, hashToken, sameDigest, tokenPrefix } from './api-token';
export { actorOf, scopeFromJson } from './principal';
export type { Principal, Scope } from './principal';
