/** Renders the OpenAPI document as a Markdown reference (docs/api.md), grouped by tag. */
interface Operation {
  tags?: string[];
  summary?: string;
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: Schema;
  }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Schema }> }
  >;
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  $ref?: string;
}
interface Document {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

function typeOf(s: Schema | undefined): string {
  if (!s) return 'any';
  if (s.$ref) return s.$ref.replace(/#.*$/, '').replace(/^.*\//, '');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${typeOf(s.items)}[]`;
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'object');
  return s.format ? `${t} (${s.format})` : t;
}

function limits(s: Schema): string {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  return out.join(', ');
}

function fields(schema: Schema | undefined, prefix = ''): string[] {
  if (!schema?.properties) return [];
  const rows: string[] = [];
  for (const [name, s] of Object.entries(schema.properties)) {
    const req = schema.required?.includes(name) ? 'yes' : '';
    const note = [s.description, limits(s)].filter(Boolean).join('; ');
    rows.push(`| \`${prefix}${name}\` | ${typeOf(s)} | ${req} | ${note.replace(/\|/g, '\\|')} |`);
    if (s.type === 'object') rows.push(...fields(s, `${prefix}${name}.`));
    if (s.type === 'array' && s.items?.type === 'object')
      rows.push(...fields(s.items, `${prefix}${name}[].`));
  }
  return rows;
}

export function openApiToMarkdown(doc: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? 'other';
      const lines: string[] = [`### \`${method.toUpperCase()} ${path}\``, '', op.summary ?? '', ''];
      const params = op.parameters ?? [];
      if (params.length > 0) {
        lines.push('| parameter | in | type | required | notes |', '|---|---|---|---|---|');
        for (const p of params)
          lines.push(
            `| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`,
          );
        lines.push('');
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) {
        lines.push(
          'Body:',
          '',
          '| field | type | required | notes |',
          '|---|---|---|---|',
          ...fields(body),
          '',
        );
      }
      const statuses = Object.keys(op.responses ?? {});
      if (statuses.length > 0)
        lines.push(`Answers: ${statuses.map((s) => `\`${s}\``).join(', ')}`, '');
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...lines]);
    }
  }
  const out = [
    `# ${doc.info.title} ${doc.info.version}: reference`,
    '',
    '_Generated from the OpenAPI document by `npm run openapi`; do not edit by hand._',
    '',
    doc.info.description ?? '',
    '',
    'The live document is served at `/api/v1/openapi.json` and browsable at `/api/v1/docs`.',
    '',
  ];
  for (const [tag, lines] of [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`## ${tag}`, '', ...lines);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
