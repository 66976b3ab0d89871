import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { BurrowError } from '../errors.js';
import { applyChanges, parseChange, type ImageChangeConfig } from '../image/changes.js';
import { storeImage, writeLayer, type ImageHistoryEntry, type WrittenLayer } from '../image/commit.js';
import { requireImage, type LocalImage } from '../image/local.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { hostPlatform, parsePlatform } from '../image/platform.js';
import type { Store } from '../store/store.js';
import { ensureLayers } from '../unpack/unpack.js';
import { containerIdMapping } from '../userns/idmap.js';
import { resolveUser } from '../container/user.js';
import { BuildContext, type ContextFile } from './context.js';
import { ImageView, imagePath } from './image-fs.js';
import { writeTarLayer, type LayerEntry } from './layer.js';
import { parseDockerfile, refuse, type Instruction } from './parse.js';
import { archiveEntries, isArchive } from './archive.js';
import { processPairs, processWord, processWords, type Variables } from './words.js';

/**
 * `burrow build`: a Dockerfile run step by step, rootless. Each RUN is a container
 * of the image so far, made and started by the same path as `burrow run` (the
 * default network, burrow's confinement), its changes committed as a layer as
 * `burrow commit` does; COPY, ADD and a WORKDIR that does not exist yet are
 * layers written here from the build context; the other instructions change the
 * config only. Each layer makes an untagged image in the store (the next RUN's
 * container needs one); they are removed once the build ends, whichever way, and
 * only the last image gets the names asked for, so a failed build tags nothing.
 * A build killed outright leaves its container (stopped, labelled
 * `io.burrow.build`) and untagged images to `burrow system prune`.
 */
export interface BuildOptions {
  /** The build context directory. */
  context: string;
  /** The Dockerfile (default: Dockerfile, else Containerfile, in the context). */
  file?: string | undefined;
  /** Names for the image (REPOSITORY[:TAG]). */
  tags?: readonly string[] | undefined;
  /** --build-arg NAME=VALUE (NAME alone: the caller's environment's value). */
  buildArgs?: readonly string[] | undefined;
  /** No RUN output (`-q`). */
  quiet?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Progress lines: "STEP n/m: ...", as Podman prints them. */
  onProgress?: ((line: string) => void) | undefined;
  onNote?: ((note: string) => void) | undefined;
}

export interface BuildResult {
  /** The image id (its config digest). */
  id: string;
  names: string[];
}

/** The label of a build's RUN containers (found by `ps -a --filter label=io.burrow.build`). */
export const BUILD_LABEL = 'io.burrow.build';

/** Docker's predefined proxy ARGs: usable without an ARG line. */
const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

function findDockerfile(context: string, file: string | undefined): string {
  if (file !== undefined) {
    const path = resolve(file);
    if (!existsSync(path)) throw new BurrowError('NOT_FOUND', `the Dockerfile ${file} does not exist`);
    return path;
  }
  for (const name of ['Dockerfile', 'Containerfile']) {
    const path = join(context, name);
    if (existsSync(path)) return path;
  }
  throw new BurrowError('NOT_FOUND', `no Dockerfile or Containerfile in ${context}: write one, or give -f FILE`);
}

function parseBuildArgs(list: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const item of list) {
    const at = item.indexOf('=');
    const name = at < 0 ? item : item.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new BurrowError('INVALID_ARGUMENT', `invalid --build-arg "${item}": give NAME=VALUE`);
    if (at >= 0) args.set(name, item.slice(at + 1));
    else if (process.env[name] !== undefined) args.set(name, process.env[name]!);
  }
  return args;
}

/** BuildKit's automatic platform ARGs (TARGETPLATFORM, BUILDARCH...): this host's platform, which is the one built for. */
function platformArgs(): Map<string, string> {
  const { os, architecture, variant } = hostPlatform();
  const platform = `${os}/${architecture}${variant === undefined ? '' : `/${variant}`}`;
  const args = new Map<string, string>();
  for (const prefix of ['TARGET', 'BUILD']) {
    args.set(`${prefix}PLATFORM`, platform);
    args.set(`${prefix}OS`, os);
    args.set(`${prefix}ARCH`, architecture);
    args.set(`${prefix}VARIANT`, variant ?? '');
  }
  return args;
}

function envMap(config: ImageChangeConfig): Map<string, string> {
  return new Map((config.Env ?? []).map((entry) => {
    const at = entry.indexOf('=');
    return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
  }));
}

class Build {
  private readonly context: BuildContext;
  private readonly mapping = containerIdMapping(undefined);
  private readonly buildArgs: Map<string, string>;
  private readonly usedArgs = new Set<string>();
  /** ARG values of the stage (declared, with their --build-arg or default). */
  private readonly args = new Map<string, string>();
  private escape = '\\';
  private shell = ['/bin/sh', '-c'];
  private config: ImageChangeConfig = {};
  /** The last image stored (undefined: FROM scratch, nothing yet). */
  private current: LocalImage | undefined;
  private history: ImageHistoryEntry[] = [];
  private currentId: string | undefined;
  /** The config changed since `current` was stored. */
  private dirty = false;
  /** FROM was met (an ARG before it is a global one, for FROM only). */
  private started = false;
  /** A CMD of this Dockerfile (an ENTRYPOINT then keeps it). */
  private cmdSet = false;
  /** MAINTAINER (deprecated, still read): the image's author. */
  private author: string | undefined;
  /** ARGs before FROM: for FROM, and the defaults of an `ARG NAME` of the stage; BuildKit's platform ARGs are there from the start. */
  private readonly globalArgs = platformArgs();
  readonly intermediates: string[] = [];

  constructor(private readonly store: Store, private readonly options: BuildOptions) {
    this.context = new BuildContext(options.context);
    this.buildArgs = parseBuildArgs(options.buildArgs ?? []);
  }

  private variables(): Variables {
    return new Map([...this.args, ...envMap(this.config)]);
  }

  private word(instruction: Instruction, text = instruction.args): string {
    return processWord(text, this.variables(), this.escape);
  }

  async run(): Promise<BuildResult> {
    const dockerfile = findDockerfile(this.context.root, this.options.file);
    const parsed = parseDockerfile(readFileSync(dockerfile, 'utf8'));
    this.escape = parsed.escape;
    const names = (this.options.tags ?? []).map((tag) => {
      try {
        const ref = parseReference(tag);
        if (ref.digest !== undefined) throw new Error('a digest is not a tag');
        return formatReference(ref);
      } catch (error) {
        throw new BurrowError('INVALID_ARGUMENT', `invalid tag "${tag}": ${(error as Error).message}`);
      }
    });
    const total = parsed.instructions.length;
    const globalArgs = this.globalArgs;
    for (const [index, instruction] of parsed.instructions.entries()) {
      if (this.options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'the build was interrupted');
      this.options.onProgress?.(`STEP ${index + 1}/${total}: ${instruction.original}`);
      if (instruction.keyword === 'ARG' && !this.started) {
        for (const [name, value] of this.pairs(instruction, true)) {
          const given = this.buildArgs.get(name);
          if (given !== undefined) this.usedArgs.add(name);
          globalArgs.set(name, given ?? value ?? '');
        }
        continue;
      }
      if (instruction.keyword === 'FROM') {
        await this.from(instruction, globalArgs);
        continue;
      }
      await this.step(instruction);
    }
    for (const name of this.buildArgs.keys()) {
      if (!this.usedArgs.has(name) && !PREDEFINED_ARGS.includes(name)) this.options.onNote?.(`[Warning] one or more build args were not consumed: [${name}]`);
    }
    const created = new Date().toISOString();
    let id: string;
    // Nothing changed since the last image (FROM alone, or a layer last): it is the result.
    if (this.currentId !== undefined && !this.dirty && this.history.length === 0) {
      id = this.currentId;
      const at = this.intermediates.indexOf(id);
      if (at >= 0) this.intermediates.splice(at, 1);
    } else {
      // The config's last change is the final image's own history entry (FROM scratch alone has none).
      const last = this.history.pop() ?? { created, created_by: '/bin/sh -c #(nop) FROM scratch' };
      id = (await this.commit(undefined, last, true)).id;
    }
    for (const name of names) {
      const { tagImage } = await import('../image/tag.js');
      await tagImage(this.store, id, name);
    }
    return { id, names };
  }

  private pairs(instruction: Instruction, allowBare = false): Array<[string, string | undefined]> {
    try {
      return processPairs(instruction.args, this.variables(), this.escape, allowBare);
    } catch (error) {
      throw refuse(instruction.line, instruction.keyword, (error as Error).message);
    }
  }

  private async from(instruction: Instruction, globalArgs: Map<string, string>): Promise<void> {
    this.started = true;
    const reference = processWord(instruction.args, globalArgs, this.escape);
    if (reference === 'scratch') return;
    const platform = instruction.flags.get('platform');
    const { resolveImage } = await import('../container/create.js');
    const image = await resolveImage(this.store, reference, this.options.signal, this.options.onNote ?? (() => {}), this.mapping, {
      pull: 'missing',
      ...(platform === undefined ? {} : { platform: parsePlatform(processWord(platform, globalArgs, this.escape)) }),
    });
    this.current = image;
    this.currentId = requireImageId(image);
    this.config = { ...(image.config.config ?? {}) };
    // The base's ONBUILD triggers would run here in Docker: burrow builds none, and says so.
    if ((this.config as { OnBuild?: string[] | null }).OnBuild?.length) throw refuse(instruction.line, 'FROM', `${reference} has ONBUILD triggers, which burrow build does not run`);
  }

  private change(instruction: Instruction, text: string): void {
    try {
      this.config = applyChanges(this.config, [parseChange(`${instruction.keyword} ${text}`)]);
    } catch (error) {
      throw refuse(instruction.line, instruction.keyword, (error as Error).message.replace(/^invalid --change "[^"]*": /, ''));
    }
    this.configChanged(instruction);
  }

  private configChanged(instruction: Instruction): void {
    this.dirty = true;
    this.history.push({ created: new Date().toISOString(), created_by: `/bin/sh -c #(nop) ${instruction.original}`, empty_layer: true });
  }

  private async step(instruction: Instruction): Promise<void> {
    const { keyword } = instruction;
    switch (keyword) {
      case 'RUN':
        return this.runStep(instruction);
      case 'COPY':
      case 'ADD':
        return this.copyStep(instruction);
      case 'ARG':
        for (const [name, value] of this.pairs(instruction, true)) {
          const given = this.buildArgs.get(name);
          if (given !== undefined) this.usedArgs.add(name);
          // `ARG NAME` alone in the stage takes the global ARG's value; with none, it stays unset.
          const chosen = given ?? value ?? this.globalArgs.get(name);
          if (chosen !== undefined) this.args.set(name, chosen);
        }
        return;
      case 'ENV': {
        const env = [...(this.config.Env ?? [])];
        for (const [key, value] of this.pairs(instruction)) {
          const at = env.findIndex((entry) => entry.startsWith(`${key}=`));
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        this.config = { ...this.config, Env: env };
        this.configChanged(instruction);
        return;
      }
      case 'LABEL':
        this.config = { ...this.config, Labels: { ...(this.config.Labels ?? {}), ...Object.fromEntries(this.pairs(instruction).map(([key, value]) => [key, value ?? ''])) } };
        this.configChanged(instruction);
        return;
      case 'MAINTAINER':
        this.author = instruction.args;
        this.configChanged(instruction);
        return;
      case 'CMD':
      case 'ENTRYPOINT': {
        const form = instruction.json ?? [...this.shell, instruction.args];
        if (keyword === 'CMD') this.config = { ...this.config, Cmd: form };
        // As Docker: a new ENTRYPOINT resets the CMD inherited from the base image.
        else this.config = { ...this.config, Entrypoint: form, ...(this.cmdSet ? {} : { Cmd: null }) };
        if (keyword === 'CMD') this.cmdSet = true;
        this.configChanged(instruction);
        return;
      }
      case 'SHELL':
        if (instruction.json === undefined || instruction.json.length === 0) throw refuse(instruction.line, 'SHELL', 'SHELL takes a JSON array of strings, as ["/bin/bash", "-c"]');
        this.shell = instruction.json;
        this.configChanged(instruction);
        return;
      case 'EXPOSE':
        return this.change(instruction, processWords(instruction.args, this.variables(), this.escape).join(' '));
      case 'VOLUME': {
        const paths = instruction.json ?? processWords(instruction.args, this.variables(), this.escape);
        return this.change(instruction, JSON.stringify(paths.map((path) => this.word(instruction, path))));
      }
      case 'USER':
        this.config = { ...this.config, User: this.word(instruction) };
        this.configChanged(instruction);
        return;
      case 'STOPSIGNAL':
        return this.change(instruction, this.word(instruction));
      case 'WORKDIR':
        return this.workdirStep(instruction);
      default:
        throw refuse(instruction.line, keyword, 'not supported by burrow build');
    }
  }

  /** Stores the image so far plus `layer`; it becomes the current one. */
  private async commit(layer: WrittenLayer | undefined, history: ImageHistoryEntry, final = false, squash = false): Promise<{ id: string }> {
    const result = await storeImage(this.store, {
      base: this.current,
      squash,
      layer,
      config: this.config,
      history,
      earlierHistory: this.history,
      author: this.author,
      name: undefined,
      signal: this.options.signal,
    });
    this.history = [];
    this.dirty = false;
    this.current = requireImage(this.store, result.id);
    this.currentId = result.id;
    if (!final) this.intermediates.push(result.id);
    return result;
  }

  private async layers(): Promise<string[]> {
    return this.current === undefined ? [] : ensureLayers(this.store, this.current, this.mapping, this.options.onNote);
  }

  private async runStep(instruction: Instruction): Promise<void> {
    if (this.current === undefined || this.current.config.rootfs.diff_ids.length === 0) throw refuse(instruction.line, 'RUN', 'there is nothing to run it in yet (FROM scratch has no shell)');
    const command = instruction.json ?? [...this.shell, instruction.args];
    const env = envMap(this.config);
    // ARG values reach RUN's environment (not the image's), an ENV of the same name wins.
    const extra = [...this.args].filter(([name]) => !env.has(name)).map(([name, value]) => `${name}=${value}`);
    const { runContainer, containerOptions, discardContainer } = await import('../container/run.js');
    const { findContainer } = await import('../container/record.js');
    const quiet = this.options.quiet === true;
    let containerId: string | undefined;
    const scratch = this.store.scratchDir('build');
    try {
      const result = await runContainer(this.store, {
        ...containerOptions(this.currentId!, {
          command,
          entrypoint: [],
          env: [...(this.config.Env ?? []), ...extra],
          workdir: this.config.WorkingDir || undefined,
          user: this.config.User || undefined,
          labels: { [BUILD_LABEL]: 'run' },
          // What a RUN writes under an earlier VOLUME stays in the image, as with BuildKit (Docker's builder since 23.0).
          imageVolumes: false,
          pull: 'never',
          quiet: true,
          healthcheck: 'none',
          signal: this.options.signal,
          onNote: this.options.onNote ?? (() => {}),
        }),
        detach: false,
        streams: { stdin: false, stdout: !quiet, stderr: !quiet },
        onCreated: (record) => { containerId = record.id; },
      });
      if (this.options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'the build was interrupted');
      if (result.exitCode !== 0) {
        throw new BurrowError('IO', `Dockerfile line ${instruction.line}: RUN ${JSON.stringify(command)} returned a non-zero code: ${result.exitCode}`, { exitCode: 1 });
      }
      const record = findContainer(this.store, result.id);
      const file = join(scratch, 'layer.tar.gz');
      const layer = await writeLayer(record, file, this.options.signal);
      await this.commit({ ...layer, file }, { created: new Date().toISOString(), created_by: command.join(' ') }, false, record.plan.rootfs.driver === 'copy');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      if (containerId !== undefined) {
        try {
          await discardContainer(this.store, findContainer(this.store, containerId));
        } catch {
          // Already gone; or left, labelled, to `system prune`.
        }
      }
    }
  }

  private async workdirStep(instruction: Instruction): Promise<void> {
    const path = imagePath(this.config.WorkingDir || '/', this.word(instruction));
    this.config = { ...this.config, WorkingDir: path };
    this.configChanged(instruction);
    if (this.current === undefined) return;
    // Docker makes the directory when the image lacks it (a layer of its own).
    const view = new ImageView(await this.layers(), this.mapping);
    const found = view.resolve(path);
    if (found.entry !== undefined) return;
    const entries: LayerEntry[] = [];
    this.parents(view, found.path, entries, true);
    await this.layerStep(entries, instruction);
  }

  /** Directory entries for `path` and those above it: as the image has them, else new (root's, 0755). */
  private parents(view: ImageView, path: string, entries: LayerEntry[], includeSelf: boolean, owner = { uid: 0, gid: 0 }): void {
    const parts = path.split('/').filter(Boolean);
    const upto = includeSelf ? parts.length : parts.length - 1;
    for (let index = 1; index <= upto; index++) {
      const dir = `/${parts.slice(0, index).join('/')}`;
      const found = view.resolve(dir, false);
      if (found.entry?.kind === 'directory') entries.push({ path: dir.slice(1), type: 'Directory', mode: found.entry.mode, uid: found.entry.uid, gid: found.entry.gid, mtime: found.entry.mtime });
      else entries.push({ path: dir.slice(1), type: 'Directory', mode: 0o755, ...(index === parts.length ? owner : { uid: 0, gid: 0 }), mtime: new Date() });
    }
  }

  private async layerStep(entries: LayerEntry[], instruction: Instruction): Promise<void> {
    const scratch = this.store.scratchDir('build');
    try {
      const layer = await writeTarLayer(deduplicate(entries), join(scratch, 'layer.tar.gz'), this.options.signal);
      await this.commit(layer, { created: new Date().toISOString(), created_by: `/bin/sh -c #(nop) ${instruction.original}` });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async copyStep(instruction: Instruction): Promise<void> {
    const { keyword } = instruction;
    const what = `Dockerfile line ${instruction.line}: ${keyword}`;
    const words = instruction.json ?? processWords(instruction.args, this.variables(), this.escape);
    const list = instruction.json === undefined ? words : words.map((word) => this.word(instruction, word));
    if (list.length < 2) throw refuse(instruction.line, keyword, `${keyword} needs a source and a destination`);
    const dest = list.at(-1)!;
    const sources = list.slice(0, -1);
    for (const source of sources) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
        throw refuse(instruction.line, keyword, keyword === 'ADD' ? `ADD of a URL (${source}) is not supported by burrow build: download it in a RUN step, or into the context` : `${source} is not a path in the build context`);
      }
    }
    const layers = await this.layers();
    const view = new ImageView(layers, this.mapping);
    const chownSpec = instruction.flags.get('chown');
    const owner = chownSpec === undefined || chownSpec === '' ? { uid: 0, gid: 0 } : this.owner(instruction, this.word(instruction, chownSpec), layers);
    const chmodSpec = instruction.flags.get('chmod');
    if (chmodSpec !== undefined && !/^[0-7]{3,4}$/.test(chmodSpec)) throw refuse(instruction.line, keyword, `--chmod=${chmodSpec}: give an octal mode such as 755`);
    const chmod = chmodSpec === undefined ? undefined : parseInt(chmodSpec, 8);
    const files = sources.flatMap((source) => this.context.sources(source, what));
    const target = imagePath(this.config.WorkingDir || '/', dest);
    const intoDirectory = dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
    if (files.length > 1 && !intoDirectory && view.resolve(target).entry?.kind !== 'directory') {
      throw refuse(instruction.line, keyword, `with more than one source file, the destination must be a directory and end with a / (${dest})`);
    }
    const entries: LayerEntry[] = [];
    for (const file of files) {
      if (file.stats.isDirectory()) {
        // A directory's contents go into the destination, made when missing.
        const base = view.resolve(target);
        // A destination made here belongs to --chown's owner, as the files copied into it.
        this.parents(view, base.path, entries, true, owner);
        for (const child of this.context.walk(file)) {
          const relative = child.path.slice(file.path === '' ? 0 : file.path.length + 1);
          entries.push(this.entryFor(child, posix.join(base.path, relative).slice(1), owner, chmod));
        }
        continue;
      }
      if (keyword === 'ADD' && file.stats.isFile() && isArchive(file.host)) {
        const base = view.resolve(target);
        this.parents(view, base.path, entries, true);
        entries.push(...archiveEntries(file.host, base.path.slice(1), chownSpec === undefined ? undefined : owner, `${what}: ${file.path}`));
        continue;
      }
      const destination = view.resolve(target);
      const intoDir = intoDirectory || destination.entry?.kind === 'directory';
      const path = intoDir ? posix.join(destination.path, posix.basename(file.path)) : destination.path;
      this.parents(view, path, entries, false);
      entries.push(this.entryFor(file, path.slice(1), owner, chmod));
    }
    await this.layerStep(entries, instruction);
  }

  private owner(instruction: Instruction, spec: string, layers: string[]): { uid: number; gid: number } {
    try {
      const [user, group] = spec.split(':');
      const resolved = resolveUser(group === undefined ? user : `${user}:${group}`, layers);
      // `--chown=user` alone: the user's primary group is the group, as Docker's.
      return { uid: resolved.uid, gid: group === undefined && /^\d+$/.test(user!) ? resolved.uid : resolved.gid };
    } catch (error) {
      throw refuse(instruction.line, instruction.keyword, `--chown=${spec}: ${(error as Error).message}`);
    }
  }

  private entryFor(file: ContextFile, path: string, owner: { uid: number; gid: number }, chmod: number | undefined): LayerEntry {
    const { stats } = file;
    const common = { path, uid: owner.uid, gid: owner.gid, mtime: stats.mtime };
    if (stats.isDirectory()) return { ...common, type: 'Directory', mode: chmod ?? stats.mode & 0o7777 };
    if (stats.isSymbolicLink()) return { ...common, type: 'SymbolicLink', mode: 0o777, linkpath: this.context.readLink(file) };
    return { ...common, type: 'File', mode: chmod ?? stats.mode & 0o7777, source: { host: file.host, size: stats.size, ino: stats.ino, dev: stats.dev } };
  }
}

/** The last entry for each path wins (a parent listed twice keeps one entry, in its first place). */
function deduplicate(entries: LayerEntry[]): LayerEntry[] {
  const last = new Map<string, LayerEntry>();
  for (const entry of entries) last.set(entry.path, entry);
  const seen = new Set<string>();
  return entries.filter((entry) => !seen.has(entry.path) && seen.add(entry.path)).map((entry) => last.get(entry.path)!);
}

function requireImageId(image: LocalImage): string {
  return image.manifest.config.digest;
}

export async function buildImage(store: Store, options: BuildOptions): Promise<BuildResult> {
  if (!existsSync(options.context) || !lstatSync(resolve(options.context)).isDirectory()) {
    throw new BurrowError('NOT_FOUND', `the build context ${options.context} is not a directory`);
  }
  const build = new Build(store, options);
  let result: BuildResult | undefined;
  try {
    result = await build.run();
    return result;
  } finally {
    const doomed = build.intermediates.filter((id) => id !== result?.id);
    if (doomed.length > 0) {
      const { removeImages } = await import('../image/remove.js');
      try {
        await removeImages(store, doomed, { force: true });
      } catch {
        // Left untagged, to `burrow image prune`.
      }
    }
  }
}
