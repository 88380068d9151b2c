/**
 * The application menu, as data: every item either uses an Electron role or
 * sends a command to the focused window (the renderer runs it as if the
 * toolbar button or the shortcut had been used).
 */
import { basename } from 'node:path';
import type { MenuItemOptions } from './electron-types.ts';

export function menuTemplate(o: { recent: readonly string[]; send: (command: string) => void; isMac: boolean; dev: boolean }): MenuItemOptions[] {
  const cmd = (label: string, command: string, accelerator?: string): MenuItemOptions => ({ label, click: () => o.send(command), ...(accelerator ? { accelerator } : {}) });
  return [
    ...(o.isMac ? [{ role: 'appMenu' }] : []),
    {
      label: 'File',
      submenu: [
        cmd('Open Raw Data…', 'open-raw', 'CmdOrCtrl+O'),
        cmd('Open NIfTI…', 'open-nifti', 'CmdOrCtrl+Shift+O'),
        cmd('Open Workspace…', 'open-workspace'),
        {
          label: 'Open Recent',
          submenu: o.recent.length ? o.recent.map((p) => ({ label: basename(p), click: () => o.send(`open:${p}`) })) : [{ label: 'No recent files', enabled: false }],
        },
        { type: 'separator' },
        cmd('Save Volume as NIfTI…', 'save-nifti', 'CmdOrCtrl+Shift+S'),
        cmd('Save Workspace…', 'save-workspace', 'CmdOrCtrl+S'),
        cmd('Screenshot of the View under the Mouse', 'screenshot'),
        { type: 'separator' },
        { role: o.isMac ? 'close' : 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'Analysis',
      submenu: [cmd('Run the Demo (simulated 7 T fMRI)', 'demo'), cmd('Run GLM', 'run-glm')],
    },
    {
      label: 'View',
      submenu: [
        cmd('Radiological / Neurological', 'toggle-orientation'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
        ...(o.dev ? [{ type: 'separator' as const }, { role: 'reload' }, { role: 'toggleDevTools' }] : []),
      ],
    },
    { label: 'Help', submenu: [cmd('Keyboard Shortcuts', 'help')] },
  ];
}
