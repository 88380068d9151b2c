/**
 * The part of Electron's API the main process uses, typed here so that main/
 * type-checks where the `electron` package is absent (an offline install: its
 * binary download fails). At run time `loadElectron()` imports the real module.
 */

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: { url: string; parent: unknown | null } | null;
}

export interface MessagePortMain {
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

export interface WebContents {
  id: number;
  getURL(): string;
  send(channel: string, ...args: unknown[]): void;
  postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (e: { preventDefault(): void; url?: string }, url: string) => void): void;
  on(event: 'did-finish-load' | 'destroyed' | 'render-process-gone', listener: (...args: unknown[]) => void): void;
  on(event: 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  session: Session;
  isDestroyed(): boolean;
  openDevTools(): void;
}

export interface Session {
  setPermissionRequestHandler(handler: ((wc: WebContents, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  setPermissionCheckHandler(handler: ((wc: WebContents | null, permission: string) => boolean) | null): void;
  on(event: 'will-download', listener: (e: unknown, item: { setSaveDialogOptions(o: Record<string, unknown>): void; getFilename(): string }) => void): void;
}

export interface BrowserWindow {
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
  show(): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowConstructor {
  new (options: Record<string, unknown>): BrowserWindow;
  getFocusedWindow(): BrowserWindow | null;
  getAllWindows(): BrowserWindow[];
}

export interface UtilityProcess {
  pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  on(event: 'spawn', listener: () => void): void;
  kill(): boolean;
  stderr: { on(event: 'data', listener: (chunk: Buffer) => void): void } | null;
}

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu' | 'normal' | 'checkbox';
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItemOptions[];
}

export interface ElectronModule {
  app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'before-quit', listener: () => void): void;
    on(event: 'web-contents-created', listener: (e: unknown, wc: WebContents) => void): void;
    on(event: 'child-process-gone', listener: (e: unknown, details: { type: string; reason: string; exitCode: number; serviceName?: string; name?: string }) => void): void;
    on(event: 'open-file', listener: (e: { preventDefault(): void }, path: string) => void): void;
    quit(): void;
    getPath(name: 'userData' | 'home' | 'documents'): string;
    getVersion(): string;
    addRecentDocument(path: string): void;
    commandLine: { appendSwitch(name: string, value?: string): void };
    isPackaged: boolean;
  };
  BrowserWindow: BrowserWindowConstructor;
  ipcMain: {
    handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown): void;
  };
  dialog: {
    showOpenDialog(win: BrowserWindow | undefined, options: Record<string, unknown>): Promise<{ canceled: boolean; filePaths: string[] }>;
    showSaveDialog(win: BrowserWindow | undefined, options: Record<string, unknown>): Promise<{ canceled: boolean; filePath?: string }>;
    showErrorBox(title: string, content: string): void;
  };
  Menu: {
    buildFromTemplate(template: MenuItemOptions[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
  MessageChannelMain: new () => { port1: MessagePortMain; port2: MessagePortMain };
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: { url: string; method: string }) => Promise<Response> | Response): void;
  };
  utilityProcess: {
    fork(modulePath: string, args?: string[], options?: { serviceName?: string; execArgv?: string[]; stdio?: 'pipe' | 'inherit' | string[]; env?: Record<string, string | undefined> }): UtilityProcess;
  };
  shell: { openExternal(url: string): Promise<void> };
}
