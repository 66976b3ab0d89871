import { createRequire as __burrowCreateRequire } from 'node:module';
const require = __burrowCreateRequire(import.meta.url);

// src/container/cp-worker.ts
import {
  chmodSync,
  closeSync,
  createReadStream,
  createWriteStream,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  constants as fs
} from "node:fs";
import { basename, dirname as dirname2, join as join2, posix, relative } from "node:path";
import { pipeline } from "node:stream/promises";

// src/util/libc.ts
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
var loaded;
function loadKoffi() {
  const require2 = createRequire(import.meta.url);
  const arch = process.arch === "x64" || process.arch === "arm64" ? process.arch : void 0;
  if (process.platform === "linux" && arch !== void 0) {
    try {
      const packageDir = dirname(require2.resolve("koffi/package.json"));
      const { version } = require2(join(packageDir, "package.json"));
      const native = require2(join(packageDir, "build", "koffi", `linux_${arch}`, "koffi.node"));
      if (native.version === version) return native;
    } catch {
    }
  }
  return require2("koffi");
}
function libc() {
  if (loaded === void 0) {
    const koffi = loadKoffi();
    loaded = { koffi, lib: koffi.load("libc.so.6") };
  }
  return loaded;
}
function lazily(bind) {
  let bound;
  return () => {
    if (bound === void 0) {
      const { lib, koffi } = libc();
      bound = bind(lib, koffi);
    }
    return bound;
  };
}
function errno() {
  return libc().koffi.errno();
}
var flockFn = lazily((lib) => lib.func("int flock(int fd, int operation)"));
var mallocTrimFn = lazily((lib) => lib.func("int malloc_trim(size_t pad)"));
var spawnCalls = lazily((lib) => ({
  spawn: lib.func("int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attributes, const char **argv, const char **envp)"),
  actionsInit: lib.func("int posix_spawn_file_actions_init(void *actions)"),
  actionsDestroy: lib.func("int posix_spawn_file_actions_destroy(void *actions)"),
  addDup2: lib.func("int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)"),
  addOpen: lib.func("int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, uint32_t mode)"),
  attrInit: lib.func("int posix_spawnattr_init(void *attributes)"),
  attrDestroy: lib.func("int posix_spawnattr_destroy(void *attributes)"),
  attrSetFlags: lib.func("int posix_spawnattr_setflags(void *attributes, short flags)"),
  attrSetSigDefault: lib.func("int posix_spawnattr_setsigdefault(void *attributes, const void *set)"),
  attrSetSigMask: lib.func("int posix_spawnattr_setsigmask(void *attributes, const void *set)"),
  pipe2: lib.func("int pipe2(void *fds, int flags)"),
  waitpid: lib.func("int waitpid(int pid, _Out_ int *status, int options)")
}));
var variadicSyscall = lazily((lib) => lib.func("long syscall(long number, ...)"));
var openptyFn = lazily((lib) => lib.func("int openpty(_Out_ int *amaster, _Out_ int *aslave, char *name, void *termp, void *winp)"));
var fcntlFn = lazily((lib) => lib.func("int fcntl(int fd, int cmd, ...)"));
var ioctlWinsizeFn = lazily((lib, koffi) => {
  const winsize = koffi.struct("burrow_winsize", { ws_row: "uint16", ws_col: "uint16", ws_xpixel: "uint16", ws_ypixel: "uint16" });
  return lib.func("ioctl", "int", ["int", "unsigned long", koffi.pointer(winsize)]);
});
var mountFn = lazily((lib) => lib.func("int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)"));
var mountSetattrFn = lazily((lib) => lib.func("syscall", "long", ["long", "int", "const char *", "uint", "const uint8_t *", "size_t"]));
var chrootFn = lazily((lib) => lib.func("int chroot(const char *path)"));
var llistxattrFn = lazily((lib) => lib.func("long llistxattr(const char *path, _Out_ uint8_t *list, size_t size)"));
var lgetxattrFn = lazily((lib) => lib.func("long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)"));
var lsetxattrFn = lazily((lib) => lib.func("int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)"));
var SYS_OPENAT2 = 437;
var openat2Fn = lazily((lib, koffi) => {
  const how = koffi.struct("burrow_open_how", { flags: "uint64", mode: "uint64", resolve: "uint64" });
  const call = lib.func("syscall", "long", ["long", "int", "const char *", koffi.pointer(how), "size_t"]);
  const size = koffi.sizeof(how);
  return (dirfd, path, value) => call(SYS_OPENAT2, dirfd, path, value, size);
});
function openat2(dirfd, path, how) {
  return openat2Fn()(dirfd, path, how);
}
var readlinkatFn = lazily((lib) => lib.func("long readlinkat(int fd, const char *path, _Out_ uint8_t *buf, size_t size)"));
function readlinkat(fd, path, buffer, size) {
  return readlinkatFn()(fd, path, buffer, size);
}
var mkdiratFn = lazily((lib) => lib.func("int mkdirat(int fd, const char *path, uint32_t mode)"));
function mkdirat(fd, path, mode) {
  return mkdiratFn()(fd, path, mode);
}
var symlinkatFn = lazily((lib) => lib.func("int symlinkat(const char *target, int fd, const char *path)"));
function symlinkat(target, fd, path) {
  return symlinkatFn()(target, fd, path);
}
var fchownatFn = lazily((lib) => lib.func("int fchownat(int fd, const char *path, uint32_t owner, uint32_t group, int flags)"));
function fchownat(fd, path, owner, group, flags2) {
  return fchownatFn()(fd, path, owner, group, flags2);
}

// src/container/cp-worker.ts
var RESOLVE_NO_MAGICLINKS = 2;
var RESOLVE_NO_SYMLINKS = 4;
var RESOLVE_BENEATH = 8;
var RESOLVE_IN_ROOT = 16;
var O_PATH = 2097152;
var O_CLOEXEC = 524288;
var CHUNK = 1024 * 1024;
var AT_SYMLINK_NOFOLLOW = 256;
var AT_EMPTY_PATH = 4096;
var MAX_LINKS = 40;
var ownership = { kind: "keep", caller: { uid: 0, gid: 0 } };
var OVERFLOW_ID = 65534;
function ownerOf(source, stat) {
  if (ownership.kind === "user") return ownership.ids;
  if (ownership.owners !== void 0) return ownership.owners.ids.get(relative(ownership.owners.root, source));
  const one = (id, caller) => id === 0 ? caller : id === OVERFLOW_ID ? void 0 : id;
  const uid = one(stat.uid, ownership.caller.uid);
  const gid = one(stat.gid, ownership.caller.gid);
  return uid === void 0 || gid === void 0 ? void 0 : { uid, gid };
}
function own(dirFd, name2, source, stat, flags2 = AT_SYMLINK_NOFOLLOW) {
  const owner = ownerOf(source, stat);
  if (owner === void 0 || fchownat(dirFd, name2, owner.uid, owner.gid, flags2) === 0) return;
  const code = errno();
  if (code === 22 && ownership.kind === "keep") return;
  throw new CopyFailure("IO", `cannot give ${name2} the owner ${owner.uid}:${owner.gid} in the container (errno ${code}${code === 22 ? ": that id is not mapped in the container, see /etc/subuid" : ""})`);
}
var CopyFailure = class extends Error {
  constructor(code, message, errno2) {
    super(message);
    this.code = code;
    this.errno = errno2;
  }
  code;
  errno;
};
function open2(dirfd, path, flags2, resolve, what, mode = 420) {
  const fd = openat2(dirfd, path, { flags: BigInt(flags2 | O_CLOEXEC), mode: BigInt((flags2 & fs.O_CREAT) !== 0 ? mode : 0), resolve: BigInt(resolve) });
  if (fd < 0) {
    const code = errno();
    if (code === 2) throw new CopyFailure("NOT_FOUND", `${what}: no such file or directory in the container`);
    if (code === 38) throw new CopyFailure("IO", "this kernel has no openat2 (Linux 5.6 or later is needed for burrow cp)");
    if (code === 40) throw new CopyFailure("IO", `${what}: a symlink in the container is in the way`);
    if (code === 21) throw new CopyFailure("INVALID_ARGUMENT", `cannot overwrite directory "${what}" in the container with a non-directory`);
    throw new CopyFailure("IO", `${what}: cannot open in the container (errno ${code})`, code);
  }
  return fd;
}
var fdPath = (fd) => `/proc/self/fd/${fd}`;
var hostOwner;
var preserve = false;
function keepOwnerAndMode(target, stat, symlink = false) {
  if (!preserve) return;
  if (typeof target === "number") {
    fchownSync(target, stat.uid, stat.gid);
    fchmodSync(target, stat.mode & 4095);
    return;
  }
  lchownSync(target, stat.uid, stat.gid);
  if (!symlink) chmodSync(target, stat.mode & 4095);
}
function cannotOverwrite(target, from) {
  return new CopyFailure("INVALID_ARGUMENT", `cannot overwrite directory "${target}" with non-directory "${from}"`);
}
function makeWayForNonDirectory(target, from) {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing === void 0) return;
  if (existing.isDirectory()) throw cannotOverwrite(target, from);
  unlinkSync(target);
}
function hostDirectory(target, mode, named, from) {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) return;
  if (existing !== void 0) {
    if (named && existing.isSymbolicLink() && statSync(target, { throwIfNoEntry: false })?.isDirectory() === true) return;
    if (named) throw new CopyFailure("INVALID_ARGUMENT", `cannot overwrite non-directory "${target}" with directory "${from}"`);
    unlinkSync(target);
  }
  mkdirSync(target, { mode });
  if (hostOwner !== void 0) lchownSync(target, hostOwner.uid, hostOwner.gid);
}
function hostFile(target, mode, named, from) {
  if (!named) makeWayForNonDirectory(target, from);
  try {
    return openSync(target, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | O_CLOEXEC | (named ? 0 : fs.O_NOFOLLOW | fs.O_EXCL), mode);
  } catch (error) {
    if (error.code === "EISDIR") throw cannotOverwrite(target, from);
    throw error;
  }
}
async function copyOut(fd, target, named, from) {
  const stat = fstatSync(fd);
  if (stat.isSymbolicLink()) {
    const buffer = Buffer.alloc(4096);
    const length = readlinkat(fd, "", buffer, buffer.length);
    makeWayForNonDirectory(target, from);
    symlinkSync(buffer.subarray(0, Math.max(0, length)).toString(), target);
    if (hostOwner !== void 0) lchownSync(target, hostOwner.uid, hostOwner.gid);
    keepOwnerAndMode(target, stat, true);
  } else if (stat.isDirectory()) {
    hostDirectory(target, stat.mode & 4095, named, from);
    keepOwnerAndMode(target, stat);
    for (const name2 of readdirSync(fdPath(fd))) {
      const child = open2(fd, name2, O_PATH | fs.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, name2);
      try {
        await copyOut(child, join2(target, name2), false, `${from.replace(/\/$/, "")}/${name2}`);
      } finally {
        closeSync(child);
      }
    }
  } else if (stat.isFile()) {
    const output = hostFile(target, stat.mode & 511, named, from);
    if (hostOwner !== void 0) {
      try {
        fchownSync(output, hostOwner.uid, hostOwner.gid);
      } catch (error) {
        closeSync(output);
        throw error;
      }
    }
    if (!preserve) {
      await pipeline(createReadStream(fdPath(fd), { highWaterMark: CHUNK }), createWriteStream(target, { fd: output, highWaterMark: CHUNK }));
      return;
    }
    try {
      await pipeline(createReadStream(fdPath(fd), { highWaterMark: CHUNK }), createWriteStream(target, { fd: output, highWaterMark: CHUNK, autoClose: false }));
      keepOwnerAndMode(output, stat);
    } finally {
      closeSync(output);
    }
  }
}
async function copyIn(source, dirFd, name2, stat = lstatSync(source)) {
  if (stat.isSymbolicLink()) {
    if (symlinkat(readlinkSync(source), dirFd, name2) !== 0) throw new CopyFailure("IO", `cannot create symlink ${name2} in the container (errno ${errno()})`);
    own(dirFd, name2, source, stat);
  } else if (stat.isDirectory()) {
    if (mkdirat(dirFd, name2, stat.mode & 4095) !== 0 && errno() !== 17) throw new CopyFailure("IO", `cannot create directory ${name2} in the container (errno ${errno()})`);
    let child;
    try {
      child = open2(dirFd, name2, O_PATH | fs.O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name2);
    } catch (error) {
      if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure("INVALID_ARGUMENT", `cannot overwrite non-directory "${name2}" in the container with a directory`);
      throw error;
    }
    try {
      own(child, "", source, stat, AT_EMPTY_PATH);
      await copyEntries(source, child);
    } finally {
      closeSync(child);
    }
  } else if (stat.isFile()) {
    const fd = open2(dirFd, name2, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | fs.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name2, stat.mode & 511);
    try {
      const owner = ownerOf(source, stat);
      if (owner !== void 0) {
        try {
          fchownSync(fd, owner.uid, owner.gid);
        } catch (error) {
          if (!(error.code === "EINVAL" && ownership.kind === "keep")) throw error;
        }
      }
      fchmodSync(fd, stat.mode & 511);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    await pipeline(createReadStream(source, { highWaterMark: CHUNK }), createWriteStream(fdPath(fd), { fd, highWaterMark: CHUNK }));
  }
}
async function copyEntries(source, dirFd) {
  for (const entry of readdirSync(source)) await copyIn(join2(source, entry), dirFd, entry);
}
function followLinks(root, containerPath2, name2) {
  let path = containerPath2;
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let fd;
    try {
      fd = open2(root, path, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name2}:${path}`);
    } catch (error) {
      if (error instanceof CopyFailure && error.code === "NOT_FOUND") return path;
      throw error;
    }
    try {
      if (!fstatSync(fd).isSymbolicLink()) return path;
      const buffer = Buffer.alloc(4096);
      const length = readlinkat(fd, "", buffer, buffer.length);
      if (length < 0) throw new CopyFailure("IO", `${name2}:${path}: cannot read the link (errno ${errno()})`);
      const link = buffer.subarray(0, length).toString();
      path = link.startsWith("/") ? link : join2(dirname2(path), link);
    } finally {
      closeSync(fd);
    }
  }
  throw new CopyFailure("INVALID_ARGUMENT", `${name2}:${containerPath2}: too many levels of symbolic links`);
}
function idsFlag(flags2, name2) {
  const match = flags2.map((flag) => new RegExp(`^${name2}:(\\d+):(\\d+)$`).exec(flag)).find((found) => found !== null);
  return match === void 0 || match === null ? void 0 : { uid: Number(match[1]), gid: Number(match[2]) };
}
function readOwners(path) {
  const { root, owners } = JSON.parse(readFileSync(path, "utf8"));
  const ids2 = /* @__PURE__ */ new Map();
  for (const [key, [uid, gid]] of Object.entries(owners)) {
    if (Number.isSafeInteger(uid) && Number.isSafeInteger(gid) && uid >= 0 && gid >= 0) ids2.set(key, { uid, gid });
  }
  return { root, ids: ids2 };
}
function ending(path) {
  const contents = path === "." || path.endsWith("/.");
  const directory = contents || path.endsWith("/");
  return { contents, directory, bare: directory ? path.replace(/\/?\.?$/, "").replace(/\/+$/, "") || "/" : path };
}
async function mainOut(root, givenPath, hostPath2, name2, followLink) {
  const from = `${name2}:${givenPath}`;
  let sourcePath = givenPath;
  let linkName;
  if (followLink) {
    const followed = followLinks(root, givenPath, name2);
    if (followed !== givenPath) {
      sourcePath = followed;
      linkName = basename(ending(givenPath).bare);
    }
  }
  let fd;
  try {
    fd = open2(root, sourcePath, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, from);
  } catch (error) {
    if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure("INVALID_ARGUMENT", `${from}: not a directory in the container`);
    throw error;
  }
  const isDirectory = fstatSync(fd).isDirectory();
  const source = ending(givenPath);
  const target = ending(hostPath2);
  let destination = target.bare;
  const existing = statSync(destination, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) {
    if (!(source.contents && isDirectory)) destination = join2(destination, linkName ?? (basename(ending(sourcePath).bare) || "root"));
  } else if (existing === void 0 && target.directory && !isDirectory) {
    throw new CopyFailure("INVALID_ARGUMENT", `no such directory "${hostPath2}": a file is copied into a directory only when it exists`);
  }
  await copyOut(fd, destination, true, from);
}
async function copyUpInto(root, givenPath, staging, volumeDir, name2) {
  try {
    await mainOut(root, givenPath, staging, name2, false);
    for (const entry of readdirSync(staging)) renameSync(join2(staging, entry), join2(volumeDir, entry));
    const top = lstatSync(staging);
    lchownSync(volumeDir, top.uid, top.gid);
    chmodSync(volumeDir, top.mode & 4095);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
async function mainIn(root, givenPath, hostPath2, name2, followLink) {
  let stat;
  try {
    stat = followLink ? statSync(hostPath2) : lstatSync(hostPath2);
  } catch (error) {
    const { code } = error;
    if (code === "ENOENT") throw new CopyFailure("NOT_FOUND", `${hostPath2}: no such file or directory`);
    if (code === "ENOTDIR") throw new CopyFailure("INVALID_ARGUMENT", `${hostPath2}: not a directory`);
    throw error;
  }
  const source = ending(hostPath2);
  const sourceName = basename(source.bare);
  const to = `${name2}:${givenPath}`;
  const containerPath2 = followLinks(root, givenPath, name2);
  let destination;
  try {
    destination = open2(root, containerPath2, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, to);
  } catch (error) {
    if (!(error instanceof CopyFailure && error.code === "NOT_FOUND")) {
      if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure("INVALID_ARGUMENT", `${to}: not a directory in the container`);
      throw error;
    }
  }
  if (destination !== void 0) {
    const isDirectory = fstatSync(destination).isDirectory();
    if (isDirectory) {
      try {
        if (source.contents && stat.isDirectory()) await copyEntries(hostPath2, destination);
        else await copyIn(hostPath2, destination, sourceName, stat);
      } finally {
        closeSync(destination);
      }
      return;
    }
    closeSync(destination);
    if (stat.isDirectory()) throw new CopyFailure("INVALID_ARGUMENT", `cannot copy a directory to a file: "${to}" is not a directory`);
  } else if (ending(givenPath).directory && !stat.isDirectory()) {
    throw new CopyFailure("INVALID_ARGUMENT", `no such directory "${to}" in the container: a file is copied into a directory only when it exists`);
  }
  const clean = ending(posix.normalize(`/${containerPath2}`)).bare;
  const parent = open2(root, dirname2(clean), O_PATH | fs.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name2}:${dirname2(clean)}`);
  try {
    await copyIn(hostPath2, parent, basename(clean), stat);
  } finally {
    closeSync(parent);
  }
}
async function main(rootPath2, direction2, givenPath, hostPath2, name2, flags2) {
  const root = openSync(rootPath2, O_PATH | fs.O_DIRECTORY | O_CLOEXEC);
  const followLink = flags2.includes("follow-link");
  if (direction2 === "out") {
    const into = flags2.find((flag) => flag.startsWith("into:"));
    if (preserve && into !== void 0) {
      await copyUpInto(root, givenPath, hostPath2, decodeURIComponent(into.slice("into:".length)), name2);
      return;
    }
    await mainOut(root, givenPath, hostPath2, name2, followLink);
    return;
  }
  const user = idsFlag(flags2, "user");
  const ownersFlag = flags2.find((flag) => flag.startsWith("owners:"));
  ownership = user !== void 0 ? { kind: "user", ids: user } : { kind: "keep", caller: idsFlag(flags2, "keep") ?? { uid: 0, gid: 0 }, ...ownersFlag === void 0 ? {} : { owners: readOwners(decodeURIComponent(ownersFlag.slice("owners:".length))) } };
  if (flags2.includes("into-directory")) {
    const containerPath2 = followLinks(root, givenPath, name2);
    let dir;
    try {
      dir = open2(root, containerPath2, O_PATH | fs.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name2}:${givenPath}`);
    } catch (error) {
      if (error instanceof CopyFailure && (error.code === "NOT_FOUND" || error.errno === 20)) throw new CopyFailure("INVALID_ARGUMENT", `destination "${name2}:${givenPath}" must be a directory`);
      throw error;
    }
    await copyIn(hostPath2, dir, basename(hostPath2));
    return;
  }
  await mainIn(root, givenPath, hostPath2, name2, followLink);
}
function report(code, message) {
  process.stderr.write(`${JSON.stringify({ code, message })}
`);
  process.exit(1);
}
process.stdin.on("end", () => report("INTERRUPTED", "interrupted"));
process.stdin.on("error", () => report("INTERRUPTED", "interrupted"));
process.stdin.resume();
var [rootPath, direction, containerPath, hostPath, name, flagText = "-"] = process.argv.slice(2);
var flags = flagText.split(",");
var ownerFlag = flags.find((flag) => flag.startsWith("owner:"));
var ids = ownerFlag === void 0 ? void 0 : /^owner:(\d+):(\d+)$/.exec(ownerFlag);
if (rootPath === void 0 || direction !== "in" && direction !== "out" || containerPath === void 0 || hostPath === void 0 || name === void 0 || ownerFlag !== void 0 && (direction !== "out" || ids === null)) {
  report("INVALID_ARGUMENT", "usage: cp-worker ROOT in|out CONTAINER_PATH HOST_PATH NAME [FLAGS: keep|user:UID:GID, owners:MANIFEST, into-directory, follow-link, owner:UID:GID (out)]");
}
if (ids !== void 0 && ids !== null) hostOwner = { uid: Number(ids[1]), gid: Number(ids[2]) };
preserve = direction === "out" && flags.includes("preserve");
main(rootPath, direction, containerPath, hostPath, name, flags).then(
  () => process.exit(0),
  (error) => {
    if (error instanceof CopyFailure) report(error.code, error.message);
    const { code, message } = error;
    if (code === "ENOSPC" || code === "EDQUOT") report("NO_SPACE", `no space left copying ${hostPath}`);
    report("IO", `cannot copy ${direction === "out" ? `${name}:${containerPath}` : hostPath}: ${message}`);
  }
);
