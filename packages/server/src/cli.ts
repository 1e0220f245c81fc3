import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { openApiToMarkdown } from './http/openapi-markdown.ts';
import { seedDemo } from './seed/seed-demo.ts';

const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

const usage = `Usage: npm run cli -- <command>
  migrate                      apply database migrations
  seed                         fill a demo region (sellers, products, shows); safe to run twice
  create-operator --email E --password P --name N
                               create an operator (township or county e-commerce park staff)
  openapi                      write docs/openapi.json and docs/api.md (the API reference)`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help') {
    console.log(usage);
    return;
  }
  const loaded = loadConfig();
  // The published document names the public address, not a developer's machine.
  const config = {
    ...loaded,
    logLevel: 'warn' as const,
    serveWeb: false,
    ...(command === 'openapi' && { publicUrl: 'http://localhost:3000' }),
  };
  const app = await buildApp(config);
  try {
    switch (command) {
      case 'migrate':
        console.log('Migrations applied.');
        break;
      case 'seed': {
        const summary = await seedDemo(app.services);
        console.log(summary);
        break;
      }
      case 'create-operator': {
        const { values } = parseArgs({
          args: rest,
          options: {
            email: { type: 'string' },
            password: { type: 'string' },
            name: { type: 'string' },
          },
        });
        if (!values.email || !values.password || !values.name) throw new Error(usage);
        const user = await app.services.accounts.createOperator(null, {
          email: values.email,
          password: values.password,
          displayName: values.name,
        });
        console.log(`Operator ${user.email} created (${user.id}).`);
        break;
      }
      case 'openapi': {
        await app.ready();
        const doc = app.swagger();
        const docs = path.join(REPO_ROOT, 'docs');
        writeFileSync(path.join(docs, 'openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
        writeFileSync(path.join(docs, 'api.md'), openApiToMarkdown(doc as never));
        console.log('Wrote docs/openapi.json and docs/api.md.');
        break;
      }
      default:
        console.error(usage);
        process.exitCode = 2;
    }
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
