import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import { serveApp } from '../serve/serve-app.ts';
import type { Command } from './command.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the app in a browser: the renderer and its API over HTTP + WebSocket (loopback, token-protected)',
  help: `usage: uhf serve [--port N] [--host 127.0.0.1] [--root DIR]...

Host the UHF Workbench app for a browser: the same renderer and the same recon
worker as the desktop app. Bound to loopback by default and protected by a
per-run token in the printed URL. From a lab GPU server, tunnel it:
  ssh -L 8765:127.0.0.1:8765 server 'npx uhf serve --port 8765'
then open the printed URL on your machine.

  --port N       port (default 8765; 0 = any free port)
  --host ADDR    address to bind (default 127.0.0.1; anything else exposes the app)
  --root DIR     a folder the browser may open files from (repeatable; the
                 current folder and the demo folder always are)
  --rebuild      rebuild the renderer even if dist/renderer is up to date
`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { port: { type: 'string' }, host: { type: 'string' }, root: { type: 'string', multiple: true }, rebuild: { type: 'boolean' } },
    });
    if (positionals.length) throw new UhfError('BAD_ARGUMENT', `unexpected argument '${positionals[0]}'`);
    const port = values.port === undefined ? 8765 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UhfError('BAD_ARGUMENT', `--port must be 0..65535 (got '${values.port}')`);
    const host = values.host ?? '127.0.0.1';
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') io.stderr(`uhf serve: warning: binding ${host} makes the app reachable from other machines (the token still guards it)`);
    if (values.rebuild) {
      const { ensureRendererBuilt } = await import('../serve/renderer-build.ts');
      await ensureRendererBuilt(io.stderr, { force: true });
    }
    const app = await serveApp({ host, port, roots: values.root ?? [], log: io.stderr }).catch((e: unknown) => {
      if ((e as { code?: string }).code === 'EADDRINUSE') throw new UhfError('BAD_ARGUMENT', `port ${port} is in use (try --port 0)`);
      throw e;
    });
    io.stdout(`UHF Workbench: ${app.url}`);
    io.stderr('(Ctrl-C to stop)');
    await new Promise<void>((done) => {
      const stop = () => void app.close().then(done);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
