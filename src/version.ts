/** burrow's version, as `--version`, `burrow version` and `burrow info` show it. */
export const VERSION = '0.1.0';
