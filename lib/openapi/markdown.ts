/**
 * The API reference as Markdown, from the OpenAPI document (`npm run docs` writes it to
 * docs/api-reference.md; a unit test fails when the committed file is stale), and the list of
 * error codes the errors guide and that file share, made from lib/openapi/errors.ts so no code
 * can be left out.
 */
import { ERROR_CODES } from './errors.ts';

/** The document as JSON Schema and OpenAPI objects: only what the Markdown reads is typed. */
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}
interface Parameter {
  in: string;
  name: string;
  description?: string;
  required?: boolean;
  example?: unknown;
  schema?: JsonSchema;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}
export interface OpenApiJson {
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema>; securitySchemes?: Record<string, { description?: string }> };
}

/** A heading's anchor as GitHub makes it (lower case, punctuation dropped, spaces to dashes): the same on GitHub and in our HTML. */
export function headingSlug(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Cells of a Markdown table: pipes escaped, newlines flattened. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function typeOf(schema: JsonSchema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1)!;
    return `[${name}](#${headingSlug(`${name} object`)})`;
  }
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(', ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeOf).join(' or ');
  if (schema.allOf) return schema.allOf.map(typeOf).join(' and ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types.map((t) => (t === 'array' ? `array of ${typeOf(schema.items) || 'any'}` : t === 'string' && schema.format ? `string (${schema.format})` : t)).join(' or ');
}

const security = (op: Operation): string => {
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  if (schemes.length === 0) return 'none';
  if (schemes.includes('bearerApiKey')) return 'your secret API key (`Authorization: Bearer sk_test_...`, `X-API-Key`, or HTTP Basic)';
  if (schemes.includes('clientSecretHeader')) return "the payment intent's client secret (`client_secret` in the body or query, or `X-Client-Secret`)";
  if (schemes.includes('operatorKey')) return 'the operator (IAM in AWS; `Authorization: Bearer <PAYGATE_ADMIN_KEY>` locally)';
  return schemes.join(', ');
};

function operationMarkdown(path: string, method: string, op: Operation): string[] {
  const lines = [`### ${op.summary}`, '', `\`${method.toUpperCase()} ${path}\``, ''];
  if (op.description) lines.push(op.description, '');
  lines.push(`Authentication: ${security(op)}.`, '');
  if (op.parameters?.length) {
    lines.push('| parameter | in | required | description | example |', '|---|---|---|---|---|');
    for (const p of op.parameters) {
      lines.push(`| \`${p.name}\` | ${p.in} | ${p.required ? 'yes' : 'no'} | ${cell(p.description ?? '')} ${typeOf(p.schema) ? `(${cell(typeOf(p.schema))})` : ''} | ${p.example === undefined ? '' : `\`${cell(String(p.example))}\``} |`);
    }
    lines.push('');
  }
  const example = op.requestBody?.content['application/json']?.example;
  if (example !== undefined) lines.push('Request body, for example:', '', '```json', JSON.stringify(example, null, 2), '```', '');
  lines.push('| status | answer |', '|---|---|');
  for (const [status, answer] of Object.entries(op.responses)) {
    const media = Object.entries(answer.content ?? {});
    const json = media.find(([type]) => type === 'application/json')?.[1].schema;
    const shape = status.startsWith('2') ? (json ? typeOf(json) : media.map(([type]) => `\`${type}\``).join(', ')) : '';
    const codes = status.startsWith('2') ? (answer.description === op.summary ? '' : answer.description) : answer.description.replace(/`([a-z_]+)`/g, (_, code: string) => (ERROR_CODES.has(code) ? `[\`${code}\`](#${code})` : `\`${code}\``));
    lines.push(`| ${status} | ${cell([codes, shape].filter(Boolean).join(': '))} |`);
  }
  lines.push('');
  return lines;
}

function schemaMarkdown(name: string, schema: JsonSchema): string[] {
  const lines = [`### ${name} object`, ''];
  if (schema.description) lines.push(schema.description, '');
  if (!schema.properties) return [...lines, `${typeOf(schema)}`, ''];
  lines.push('| field | type | description |', '|---|---|---|');
  const required = new Set(schema.required ?? []);
  for (const [field, property] of Object.entries(schema.properties)) {
    lines.push(`| \`${field}\`${required.has(field) ? '' : ' (optional)'} | ${cell(typeOf(property))} | ${cell(property.description ?? '')} |`);
  }
  lines.push('');
  return lines;
}

/**
 * One section per error code, its heading the code itself (so `#card_declined` is its anchor, on
 * GitHub as in the HTML guide), with its status, type and an example answer.
 */
export function errorCodesMarkdown(level: 2 | 3): string {
  const hashes = '#'.repeat(level);
  const sections = [...ERROR_CODES].sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b)).map(([code, entry]) =>
    [`${hashes} ${code}`, '', `\`${entry.status}\`, type \`${entry.type}\`: ${entry.example.error.message}`, '', '```json', JSON.stringify(entry.example, null, 2), '```', ''].join('\n'),
  );
  return sections.join('\n');
}

/** The whole reference: operations by section, the answers' schemas, and every error code. */
export function apiReferenceMarkdown(document: OpenApiJson): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const tags = (document.tags ?? []).map((t) => t.name);
  const lines = [
    `# ${document.info.title} reference`,
    '',
    '<!-- Generated by `npm run docs` from the OpenAPI document (lib/openapi/document.ts). Do not edit: a unit test fails when it is stale. -->',
    '',
    `Version ${document.info.version}. Every gateway serves this reference at \`/docs\` and the OpenAPI 3.1 document it is made from at \`/api/openapi.json\`. Guides: [quick start](guides/quick-start.md), [idempotency and retries](guides/idempotency.md), [webhooks and signatures](guides/webhooks.md), [test cards](guides/test-cards.md), [errors](guides/errors.md).`,
    '',
    document.info.description ?? '',
    '',
    '## Contents',
    '',
  ];
  for (const tag of tags) {
    lines.push(`- [${tag}](#${headingSlug(tag)}): ${operations.filter((o) => o.op.tags[0] === tag).map((o) => `[${o.op.summary}](#${headingSlug(o.op.summary)})`).join(', ')}`);
  }
  lines.push('- [Schemas](#schemas)', '- [Error codes](#error-codes)', '');
  for (const tag of document.tags ?? []) {
    lines.push(`## ${tag.name}`, '');
    if (tag.description) lines.push(tag.description, '');
    for (const { path, method, op } of operations.filter((o) => o.op.tags[0] === tag.name)) lines.push(...operationMarkdown(path, method, op));
  }
  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) lines.push(...schemaMarkdown(name, schema));
  lines.push('## Error codes', '', 'Every error answer is `{"error": {"type", "code", "message", "doc_url", ...}}`; `doc_url` points at the code\'s section of `/docs/errors`.', '');
  lines.push(errorCodesMarkdown(3));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
