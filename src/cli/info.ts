import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { binarySize } from '../util/size.js';

/** `burrow info`: what `docker info` shows, for burrow's store and this host. */
export function infoCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('info')
    .description('Show system-wide information: containers, images, store, host')
    .option('-f, --format <format>', 'json, or a Go template, e.g. \'{{.ServerVersion}}\'')
    .action(action<{ format?: string }>(signal, setExit, async (context, _args, flags) => {
      const { chooseFormat, renderOne } = await import('../format/render.js');
      const { goJson } = await import('../format/values.js');
      const choice = chooseFormat(flags.format);
      const { systemInfo } = await import('../system/info.js');
      const info = systemInfo(context.store());
      if (choice.kind === 'template') return void context.stdout.write(renderOne(choice.template, info));
      if (choice.kind === 'json') return void context.stdout.write(`${goJson(info)}\n`);
      const security = info.SecurityOptions.map((option) => option.replace(/^name=/, '').split(',')).flatMap(([name, ...rest]) => [`  ${name}`, ...rest.map((pair) => `   ${pair.split('=').map((part, at) => (at === 0 ? `${part[0]!.toUpperCase()}${part.slice(1)}:` : part)).join(' ')}`)]);
      context.stdout.write([
        'Client:', ` Version:    ${info.ClientInfo.Version}`, ` Context:    ${info.ClientInfo.Context}`, '',
        'Server:', ` Containers: ${info.Containers}`, `  Running: ${info.ContainersRunning}`, `  Paused: ${info.ContainersPaused}`, `  Stopped: ${info.ContainersStopped}`,
        ` Images: ${info.Images}`, ` Server Version: ${info.ServerVersion}`, ` Storage Driver: ${info.Driver} (overlay, else fuse-overlayfs, else copy)`,
        ` Logging Driver: ${info.LoggingDriver}`, ` Cgroup Driver: ${info.CgroupDriver}`, ` Cgroup Version: ${info.CgroupVersion}`, ` Default Runtime: ${info.DefaultRuntime}`,
        ' Security Options:', ...security, ` Kernel Version: ${info.KernelVersion}`, ` Operating System: ${info.OperatingSystem}`, ` OSType: ${info.OSType}`,
        ` Architecture: ${info.Architecture}`, ` CPUs: ${info.NCPU}`, ` Total Memory: ${binarySize(info.MemTotal)}`, ` Name: ${info.Name}`, ` Docker Root Dir: ${info.DockerRootDir}`, '',
      ].join('\n'));
    }));
}

/** `burrow version`: Docker's Client and Server sections (one program here: no daemon). */
export function versionCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('version')
    .description('Show the version')
    .option('-f, --format <format>', 'json, or a Go template, e.g. \'{{.Client.Version}}\'')
    .action(action<{ format?: string }>(signal, setExit, async (context, _args, flags) => {
      const { chooseFormat, renderOne } = await import('../format/render.js');
      const { goJson } = await import('../format/values.js');
      const choice = chooseFormat(flags.format);
      const { versionInfo } = await import('../system/info.js');
      const version = versionInfo();
      if (choice.kind === 'template') return void context.stdout.write(renderOne(choice.template, version));
      if (choice.kind === 'json') return void context.stdout.write(`${goJson(version)}\n`);
      const { Client: client, Server: server } = version;
      context.stdout.write([
        'Client:', ` Version:           ${client.Version}`, ` Node version:      ${client.NodeVersion}`, ` OS/Arch:           ${client.Os}/${client.Arch}`, ` Context:           ${client.Context}`, '',
        `Server: ${server.Platform.Name}`, ' Engine:', `  Version:          ${server.Version}`, `  OS/Arch:          ${server.Os}/${server.Arch}`, `  Kernel:           ${server.KernelVersion}`, '',
      ].join('\n'));
    }));
}
