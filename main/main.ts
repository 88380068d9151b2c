/**
 * The Electron main process: one or more windows with the secure defaults of
 * security.ts, the renderer served from the uhf:// protocol, the application
 * menu, native open/save dialogs, recent files and settings, drag and drop,
 * and the recon worker as a utilityProcess. Every renderer call passes
 * checkSender (ipc.ts) and the contract's schemas (ApiHost) before it runs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_CHANNELS } from '../shared/api/bridge.ts';
import type { ApiEvent, AppInfo, PickKind } from '../shared/api/types.ts';
import { demoDir } from '../recon/cli/demo.ts';
import { ApiHost, commonHostHandlers } from '../recon/serve/api-host.ts';
import { FileAccessPolicy, WORKSPACE_SUFFIX } from '../recon/serve/file-policy.ts';
import { RENDERER_DIST } from '../recon/serve/renderer-build.ts';
import { SettingsStore } from '../recon/serve/settings.ts';
import { WorkerSupervisor } from '../recon/serve/worker-supervisor.ts';
import type { BrowserWindow, ElectronModule, MessagePortMain } from './electron-types.ts';
import { acceptDroppedFile, handleInvoke } from './ipc.ts';
import { menuTemplate } from './menu.ts';
import { appProtocolResponse } from './protocol.ts';
import { APP_PROTOCOL, APP_URL, isAllowedNavigation, permissionAllowed, secureWebPreferences } from './security.ts';
import { utilityWorkerLauncher, watchChildProcesses } from './worker-link.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Built by scripts/start.mjs (esbuild) from main/preload.ts: sandboxed preloads must be one CommonJS file. */
const PRELOAD = join(HERE, '..', 'dist', 'main', 'preload.cjs');

const FILTERS: Record<PickKind, { name: string; extensions: string[] }[]> = {
  raw: [{ name: 'ISMRMRD raw data', extensions: ['h5', 'hdf5', 'mrd'] }],
  nifti: [{ name: 'NIfTI', extensions: ['nii', 'gz'] }],
  events: [{ name: 'BIDS events', extensions: ['tsv'] }],
  workspace: [{ name: 'UHF Workbench workspace', extensions: ['json'] }],
  data: [{ name: 'Raw data or NIfTI', extensions: ['h5', 'hdf5', 'mrd', 'nii', 'gz'] }],
};

export async function runElectronApp(electron: ElectronModule): Promise<void> {
  const { app, BrowserWindow, ipcMain, dialog, Menu, MessageChannelMain, protocol } = electron;
  // CHROMIUM_SWITCHES and APP_SCHEME_PRIVILEGES were applied by electron-main.mjs, before ready.
  await app.whenReady();

  const settings = new SettingsStore(join(app.getPath('userData'), 'settings.json'));
  const policy = new FileAccessPolicy([demoDir()]);
  // Recent files were chosen by the user before: they may be opened again.
  for (const p of settings.get().recent) if (existsSync(p)) policy.grant(p);

  const ports = new Map<number, MessagePortMain>();
  const jobOwner = new Map<string, number>();
  const trusted = new Set<number>();
  const broadcast = (e: ApiEvent) => {
    if (e.type === 'progress') ports.get(jobOwner.get(e.jobId) ?? -1)?.postMessage(e);
    else for (const p of ports.values()) p.postMessage(e);
  };
  watchChildProcesses(electron);
  const supervisor = new WorkerSupervisor(utilityWorkerLauncher(electron), broadcast);

  const focused = (): BrowserWindow | undefined => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  const refreshMenu = () => {
    const template = menuTemplate({
      recent: settings.get().recent,
      isMac: process.platform === 'darwin',
      dev: !app.isPackaged,
      send: (command) => {
        const win = focused();
        if (!win) return;
        if (command.startsWith('open:')) policy.grant(command.slice(5));
        win.webContents.send(BRIDGE_CHANNELS.menu, command);
      },
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };

  const api = new ApiHost({
    policy,
    worker: supervisor,
    handlers: {
      ...commonHostHandlers(policy),
      'app.info': async (): Promise<AppInfo> => ({
        version: app.getVersion(),
        host: 'electron',
        platform: process.platform,
        roots: [...policy.rootList],
        firstLaunch: !settings.get().firstLaunchDone,
        nativeDialogs: true,
      }),
      'settings.get': async () => settings.get(),
      'settings.update': async (a) => settings.update(a.patch),
      'files.pickOpen': async (a) => {
        const r = await dialog.showOpenDialog(focused(), { properties: ['openFile'], filters: FILTERS[a.kind], defaultPath: settings.get().lastDir ?? app.getPath('home') });
        const path = r.canceled ? undefined : r.filePaths[0];
        if (!path) return null;
        policy.grant(path);
        await settings.update({ lastDir: dirname(path) });
        return { path };
      },
      'files.pickSave': async (a) => {
        const dir = settings.get().lastDir ?? app.getPath('documents');
        const name = a.suggestedName || (a.kind === 'workspace' ? `workspace${WORKSPACE_SUFFIX}` : 'volume.nii.gz');
        const r = await dialog.showSaveDialog(focused(), { defaultPath: join(dir, name), filters: FILTERS[a.kind] });
        if (r.canceled || !r.filePath) return null;
        policy.grant(r.filePath);
        // A workspace saves in-memory volumes beside it: the folder the user chose becomes writable.
        if (a.kind === 'workspace') policy.addRoot(dirname(r.filePath));
        return { path: r.filePath };
      },
    },
    onOpened: (p) => {
      app.addRecentDocument(p);
      void settings.addRecent(p).then(refreshMenu);
    },
  });

  ipcMain.handle(BRIDGE_CHANNELS.invoke, (event, method, args, jobId) =>
    handleInvoke(api, event, trusted, method, args, jobId, (job, wc) => jobOwner.set(job, wc)),
  );
  ipcMain.handle(BRIDGE_CHANNELS.dropped, (event, path) => acceptDroppedFile(event, trusted, path, policy));

  protocol.handle(APP_PROTOCOL, (request) => appProtocolResponse(request, RENDERER_DIST));

  // Every web contents, whatever created it: no navigation away, no new windows, no webviews, no permissions.
  app.on('web-contents-created', (_e, wc) => {
    wc.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    wc.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    wc.setWindowOpenHandler(() => ({ action: 'deny' }));
    wc.on('will-attach-webview', (e) => e.preventDefault());
  });

  const createWindow = () => {
    const win = new BrowserWindow({
      width: 1500,
      height: 960,
      minWidth: 1000,
      minHeight: 700,
      show: false,
      backgroundColor: '#0d1014',
      title: 'UHF Workbench',
      webPreferences: secureWebPreferences(PRELOAD),
    });
    const wc = win.webContents;
    const id = wc.id;
    trusted.add(id);
    wc.session.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
    wc.session.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));
    wc.on('did-finish-load', () => {
      // Events (progress, worker state) go to the page over a MessagePort.
      ports.get(id)?.close();
      const { port1, port2 } = new MessageChannelMain();
      port1.start();
      ports.set(id, port1);
      wc.postMessage(BRIDGE_CHANNELS.port, null, [port2]);
    });
    wc.on('destroyed', () => {
      trusted.delete(id);
      ports.get(id)?.close();
      ports.delete(id);
    });
    win.once('ready-to-show', () => win.show());
    void win.loadURL(APP_URL);
    return win;
  };

  app.on('open-file', (e, path) => {
    e.preventDefault();
    policy.grant(path);
    focused()?.webContents.send(BRIDGE_CHANNELS.menu, `open:${path}`);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('before-quit', () => supervisor.close());
  refreshMenu();
  if (!existsSync(join(RENDERER_DIST, 'index.html'))) dialog.showErrorBox('UHF Workbench', `The renderer is not built (${RENDERER_DIST}). Run npm start, which builds it.`);
  createWindow();
}
