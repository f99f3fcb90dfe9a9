// dockle's checks on the image's merged filesystem: empty passwords (shadow), duplicate UIDs/GIDs
// (passwd, group), setuid/setgid files, credential files by name or extension, and files that should
// not ship (editor/VCS/cache leftovers).
import { posix } from 'node:path';
import type { Assessment } from './checkpoints.ts';

export interface ImageFile {
  mode: number;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  /** Present for the files the checks read (passwd, shadow, group). */
  data?: Buffer;
}

export interface FileCheckOptions {
  /** File names accepted even when they look like credentials (dockle's --accept-file). */
  acceptFiles?: string[];
  /** Extensions accepted (dockle's --accept-file-extension), without the dot. */
  acceptExtensions?: string[];
  /** Extra suspicious file names (dockle's --sensitive-file). */
  sensitiveFiles?: string[];
  /** Extra suspicious extensions (dockle's --sensitive-file-extension), without the dot. */
  sensitiveExtensions?: string[];
}

/** The files whose bodies the checks read. */
export const BODY_FILES = ['etc/shadow', 'etc/master.passwd', 'etc/passwd', 'etc/group'];

const CREDENTIAL_FILES = [
  'credentials.json',
  'credential.json',
  'credentials',
  'credential',
  'password.txt',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'secret_token.rb',
  'carrierwave.rb',
  'omniauth.rb',
  'settings.py',
  'database.yml',
  'credentials.xml',
  '.env',
];
const CREDENTIAL_EXTENSIONS = [
  '.secret',
  '.ovpn',
  '.private_key',
  '.cscfg',
  '.rdp',
  '.mdf',
  '.sdf',
  '.bek',
  '.tpm',
  '.fve',
  '.jks',
  '.psafe3',
  '.agilekeychain',
  '.keychain',
  '.pcap',
  '.gnucache',
];
const LEFTOVER_FILES = ['Dockerfile', 'docker-compose.yml', '.vimrc', '.DS_Store'];
const LEFTOVER_DIRS = ['.cache/', '.aws/', '.azure/', '.gcp/', '.git/', '.vscode/', '.idea/', '.npm/'];
const DEPENDENCY_DIRS = ['node_modules/', 'vendor/'];

function lines(data: Buffer): string[] {
  return data.toString('utf8').split(/\r?\n/);
}

function skip(code: string, names: string[]): Assessment {
  return { code, filename: '', desc: `failed to detect ${names.join(',')}`, level: 'SKIP' };
}

function emptyPasswords(files: ReadonlyMap<string, ImageFile>): Assessment[] {
  const names = ['etc/shadow', 'etc/master.passwd'];
  const out: Assessment[] = [];
  let found = false;
  for (const name of names) {
    const f = files.get(name);
    if (!f?.data) continue;
    found = true;
    for (const line of lines(f.data)) {
      if (line === '' || line.startsWith('#')) continue;
      const fields = line.split(':');
      if (fields.length >= 2 && fields[1] === '')
        out.push({ code: 'DKL-LI-0001', filename: name, desc: `No password user found! username : ${fields[0]}` });
    }
  }
  return found ? out : [skip('DKL-LI-0001', names)];
}

function duplicateIds(files: ReadonlyMap<string, ImageFile>, name: string, what: 'UID' | 'GroupID'): Assessment[] {
  const f = files.get(name);
  if (!f?.data) return [skip('DKL-LI-0002', [name])];
  const out: Assessment[] = [];
  const seen = new Set<string>();
  for (const line of lines(f.data)) {
    const fields = line.split(':');
    if (fields.length < 3) continue;
    const id = fields[2] as string;
    if (seen.has(id))
      out.push({ code: 'DKL-LI-0002', filename: name, desc: `duplicate ${what} ${id} : username ${fields[0]}` });
    seen.add(id);
  }
  return out;
}

/** Go's os.FileMode String() for the permission part, as dockle prints it (e.g. `urwxr-xr-x`). */
function goMode(h: ImageFile): string {
  let s = '';
  if (h.mode & 0o4000) s += 'u';
  if (h.mode & 0o2000) s += 'g';
  if (h.mode & 0o1000) s += 't';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) s += h.mode & (1 << (8 - i)) ? rwx[i] : '-';
  return s;
}

function privileged(files: ReadonlyMap<string, ImageFile>): Assessment[] {
  const out: Assessment[] = [];
  for (const [path, f] of files) {
    if (f.type !== 'file') continue;
    if (f.mode & 0o4000) out.push({ code: 'CIS-DI-0008', filename: path, desc: `setuid file: ${goMode(f)} ${path}` });
    if (f.mode & 0o2000) out.push({ code: 'CIS-DI-0008', filename: path, desc: `setgid file: ${goMode(f)} ${path}` });
  }
  return out;
}

function credentials(files: ReadonlyMap<string, ImageFile>, opts: FileCheckOptions): Assessment[] {
  const acceptedNames = new Set(opts.acceptFiles ?? []);
  const acceptedExts = new Set((opts.acceptExtensions ?? []).map((e) => '.' + e.replace(/^\./, '')));
  const names = new Set([...CREDENTIAL_FILES, ...(opts.sensitiveFiles ?? [])].filter((n) => !acceptedNames.has(n)));
  const exts = new Set(
    [...CREDENTIAL_EXTENSIONS, ...(opts.sensitiveExtensions ?? []).map((e) => '.' + e.replace(/^\./, ''))].filter(
      (e) => !acceptedExts.has(e),
    ),
  );
  const out: Assessment[] = [];
  for (const [path, f] of files) {
    if (f.type === 'directory') continue;
    const base = posix.basename(path);
    const ext = posix.extname(base);
    if (names.has(base))
      out.push({
        code: 'CIS-DI-0010',
        filename: path,
        desc: `Suspicious filename found : ${path} (You can suppress it with --accept-file ${base})`,
      });
    else if (ext !== '' && exts.has(ext))
      out.push({
        code: 'CIS-DI-0010',
        filename: path,
        desc: `Suspicious file extension found : ${path} (You can suppress it with --accept-file-extension ${ext.slice(1)})`,
      });
  }
  return out;
}

function leftovers(files: ReadonlyMap<string, ImageFile>): Assessment[] {
  const out: Assessment[] = [];
  const reported = new Set<string>();
  for (const [path, f] of files) {
    if (f.type === 'directory') continue;
    const dir = posix.dirname(path);
    const dirBase = posix.basename(dir);
    if (LEFTOVER_DIRS.includes(dirBase + '/') || LEFTOVER_DIRS.includes(dir + '/')) {
      if (!reported.has(dir)) {
        reported.add(dir);
        // dependency trees (node_modules, vendor) are the package manager's business, not the image author's
        if (!DEPENDENCY_DIRS.some((d) => path.includes(d)))
          out.push({ code: 'DKL-LI-0003', filename: dir, desc: `Suspicious directory : ${dir} ` });
      }
    }
    if (LEFTOVER_FILES.includes(path) || LEFTOVER_FILES.includes(posix.basename(path)))
      out.push({ code: 'DKL-LI-0003', filename: path, desc: `unnecessary file : ${path} ` });
  }
  return out;
}

/** Every filesystem check, in dockle's order. `files` is the merged view keyed by root-relative path. */
export function assessFiles(files: ReadonlyMap<string, ImageFile>, opts: FileCheckOptions = {}): Assessment[] {
  return [
    ...emptyPasswords(files),
    ...privileged(files),
    ...duplicateIds(files, 'etc/passwd', 'UID'),
    ...duplicateIds(files, 'etc/group', 'GroupID'),
    ...credentials(files, opts),
    ...leftovers(files),
  ];
}
