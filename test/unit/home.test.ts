import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath } from '../../src/config/config.js';
import { certsDirRoots } from '../../src/registry/certs.js';
import { dockerConfigPath } from '../../src/registry/credentials.js';
import { defaultStoreRoot } from '../../src/store/layout.js';

describe('where burrow keeps and looks for things when HOME or XDG variables are unusable', () => {
  const passwdHome = userInfo().homedir;

  it('an empty or relative HOME means the password database\'s home, never the working directory', () => {
    for (const HOME of ['', 'relative', './x']) {
      expect(defaultStoreRoot({ HOME })).toBe(join(passwdHome, '.local', 'share', 'burrow'));
      expect(configPath({ HOME })).toBe(join(passwdHome, '.config', 'burrow', 'config.json'));
      expect(dockerConfigPath({ HOME })).toBe(join(passwdHome, '.docker', 'config.json'));
      expect(certsDirRoots({ HOME })[0]).toBe(join(passwdHome, '.config', 'containers', 'certs.d'));
    }
  });

  it('a relative XDG directory is ignored, as the XDG specification says; an absolute one is used', () => {
    expect(defaultStoreRoot({ HOME: '/h', XDG_DATA_HOME: 'data' })).toBe('/h/.local/share/burrow');
    expect(configPath({ HOME: '/h', XDG_CONFIG_HOME: 'config' })).toBe('/h/.config/burrow/config.json');
    expect(defaultStoreRoot({ HOME: '/h', XDG_DATA_HOME: '/d' })).toBe('/d/burrow');
    expect(configPath({ HOME: '/h', XDG_CONFIG_HOME: '/c' })).toBe('/c/burrow/config.json');
    expect(defaultStoreRoot({ HOME: '/h', BURROW_ROOT: 'store' })).toBe(join(process.cwd(), 'store'));
  });
});
