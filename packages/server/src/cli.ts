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
  create-operator --email E --password P --name N [--hub TOWNSHIP]
                               create an operator (township or county e-commerce park staff),
                               running the hub of TOWNSHIP (its 9-digit code) if given
  create-hub --region TOWNSHIP --name N [--address A]
                               create the logistics hub of a township (one per township)
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
            hub: { type: 'string' },
          },
        });
        if (!values.email || !values.password || !values.name) throw new Error(usage);
        const hub = values.hub ? await app.services.fulfilment.findHub(values.hub) : null;
        if (values.hub && !hub)
          throw new Error(`No hub for township ${values.hub}: create-hub --region ${values.hub}`);
        const user = await app.services.accounts.createOperator(null, {
          email: values.email,
          password: values.password,
          displayName: values.name,
        });
        if (hub) await app.services.fulfilment.attachOperator(hub.id, user.id, user.role);
        console.log(
          `Operator ${user.email} created (${user.id})${hub ? `, running ${hub.name}` : ''}.`,
        );
        break;
      }
      case 'create-hub': {
        const { values } = parseArgs({
          args: rest,
          options: {
            region: { type: 'string' },
            name: { type: 'string' },
            address: { type: 'string' },
          },
        });
        if (!values.region || !values.name) throw new Error(usage);
        const hub = await app.services.fulfilment.ensureHub({
          regionCode: values.region,
          name: values.name,
          address: values.address,
        });
        console.log(`Hub ${hub.name} (${hub.regionCode}) is ${hub.id}.`);
        break;
      }
      case 'openapi': {
        await app.ready();
        const doc = app.swagger();
        const docs = path.join(REPO_ROOT, 'docs');
        writeFileSync(path.join(docs, 'openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
        // Written as the repository's Prettier would write it, so `format:check` stays clean.
        const mdPath = path.join(docs, 'api.md');
        const prettier = await import('prettier');
        const options = (await prettier.resolveConfig(mdPath)) ?? {};
        const md = await prettier.format(openApiToMarkdown(doc as never), {
          ...options,
          filepath: mdPath,
        });
        writeFileSync(mdPath, md);
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
