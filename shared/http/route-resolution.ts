/**
 * Which route of the table a method and path mean, as API Gateway picks one (the most specific
 * path first: a literal segment beats a `{param}`), and, when none takes that method, what to tell
 * the caller: the methods the path takes (405 with `Allow`) or the nearest route (404). The local
 * bridge, the `$default` function and every route's handler use it, so a `GET` of
 * `/api/v1/payments/authorize`, which API Gateway hands to `GET /api/v1/payments/{id}`, answers the
 * same 405 in both runtimes instead of "No such payment".
 */
import leven from 'leven';
import type { HttpMethod, RouteSpec } from '../routes.ts';

export type RouteResolution<R extends RouteSpec> =
  | { kind: 'route'; route: R; params: Record<string, string> }
  | { kind: 'method_not_allowed'; path: string; allow: HttpMethod[] }
  | { kind: 'not_found'; nearest: { method: HttpMethod; path: string } | null };

const segmentsOf = (path: string): string[] => path.split('/').slice(1);
const isParam = (segment: string): boolean => /^\{\w+\}$/.test(segment);

/** How a template matches a path, segment by segment: null if it does not; else a literal/param flag per segment. */
function matchTemplate(template: string, segments: readonly string[]): boolean[] | null {
  const parts = segmentsOf(template);
  if (parts.length !== segments.length) return null;
  const literal: boolean[] = [];
  for (const [i, part] of parts.entries()) {
    if (isParam(part)) {
      if (segments[i] === '') return null;
      literal.push(false);
    } else if (part === segments[i]) {
      literal.push(true);
    } else {
      return null;
    }
  }
  return literal;
}

/** Positive when `a` is the more specific template: the first segment where they differ is literal in `a`. */
function moreSpecific(a: readonly boolean[], b: readonly boolean[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] ? 1 : -1;
  return 0;
}

/** A path as routes compare it: without a trailing slash (the bridge and API Gateway's own routes agree on that). */
export function normalizedPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function resolveRoute<R extends RouteSpec>(routes: readonly R[], method: string, rawPath: string): RouteResolution<R> {
  const path = normalizedPath(rawPath);
  const segments = segmentsOf(path);
  let best: { template: string; literal: boolean[] } | null = null;
  for (const route of routes) {
    const literal = matchTemplate(route.path, segments);
    if (literal && (best === null || moreSpecific(literal, best.literal) > 0)) best = { template: route.path, literal };
  }
  if (best === null) return { kind: 'not_found', nearest: nearestRoute(routes, method, path) };
  const onPath = routes.filter((r) => r.path === best.template);
  const route = onPath.find((r) => r.method === method);
  if (!route) return { kind: 'method_not_allowed', path: best.template, allow: [...new Set(onPath.map((r) => r.method))] };
  const params: Record<string, string> = {};
  for (const [i, part] of segmentsOf(route.path).entries()) if (isParam(part)) params[part.slice(1, -1)] = segments[i] ?? '';
  return { kind: 'route', route, params };
}

/** Paths further than this many edits from every route get no suggestion: a guess that far helps nobody. */
const MAX_SUGGESTION_DISTANCE = 3;

/**
 * The route whose path is fewest edits away from the one asked for (a template's `{param}`
 * stands for whatever the caller put in that segment), preferring one that takes the method asked.
 */
function nearestRoute(routes: readonly RouteSpec[], method: string, path: string): { method: HttpMethod; path: string } | null {
  const segments = segmentsOf(path);
  let nearest: { route: RouteSpec; distance: number } | null = null;
  for (const route of routes) {
    const parts = segmentsOf(route.path);
    const filled = parts.length === segments.length ? parts.map((part, i) => (isParam(part) ? (segments[i] ?? '') : part)) : parts;
    const distance = leven(`/${filled.join('/')}`, path, { maxDistance: MAX_SUGGESTION_DISTANCE + 1 }) + (route.method === method ? 0 : 0.5);
    if (distance <= MAX_SUGGESTION_DISTANCE && (nearest === null || distance < nearest.distance)) nearest = { route, distance };
  }
  return nearest && { method: nearest.route.method, path: nearest.route.path };
}
