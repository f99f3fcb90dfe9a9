// Chooses a parser by --parser name or by the file's name and extension, with Conftest's rules.
import { basename, extname } from 'node:path';
import { PolicyError } from '../errors.ts';
import { cueParser } from './cue.ts';
import { cyclonedxParser } from './cyclonedx.ts';
import { dockerfileParser } from './dockerfile.ts';
import { dotenvParser } from './dotenv.ts';
import { ednParser } from './edn.ts';
import { hcl1Parser } from './hcl1.ts';
import { hcl2Parser } from './hcl2.ts';
import { hoconParser } from './hocon.ts';
import { ignoreParser } from './ignore.ts';
import { iniParser } from './ini.ts';
import { jsonParser } from './json.ts';
import { jsoncParser } from './jsonc.ts';
import { jsonnetParser } from './jsonnet/index.ts';
import { nginxParser } from './nginx.ts';
import type { Parser } from './parser.ts';
import { propertiesParser } from './properties.ts';
import { spdxParser } from './spdx.ts';
import { textprotoParser } from './textproto.ts';
import { tomlParser } from './toml.ts';
import { UNAVAILABLE_PARSERS, unavailableParser } from './unavailable.ts';
import { vclParser } from './vcl.ts';
import { xmlParser } from './xml.ts';
import { yamlParser } from './yaml.ts';

export type { ParseContext, ParsedFile, Parser } from './parser.ts';
export { UNAVAILABLE_PARSERS } from './unavailable.ts';

const AVAILABLE: Record<string, Parser> = {
  cue: cueParser,
  cyclonedx: cyclonedxParser,
  dockerfile: dockerfileParser,
  dotenv: dotenvParser,
  edn: ednParser,
  hcl1: hcl1Parser,
  hcl2: hcl2Parser,
  hocon: hoconParser,
  ignore: ignoreParser,
  ini: iniParser,
  json: jsonParser,
  jsonc: jsoncParser,
  jsonnet: jsonnetParser,
  nginx: nginxParser,
  properties: propertiesParser,
  spdx: spdxParser,
  textproto: textprotoParser,
  toml: tomlParser,
  vcl: vclParser,
  xml: xmlParser,
  yaml: yamlParser,
};

/** Every parser name Conftest knows, in its order (`--parser` accepts these). */
export const PARSER_NAMES = [
  'cue', 'cyclonedx', 'dockerfile', 'edn', 'groovy', 'hcl1', 'hcl2', 'hocon', 'ignore', 'ini', 'json', 'jsonc',
  'jsonnet', 'nginx', 'properties', 'spdx', 'textproto', 'toml', 'vcl', 'xml', 'yaml', 'dotenv',
] as const;

const TEXTPROTO_EXTENSIONS = ['textproto', 'textpb', 'pbtxt', 'prototxt', 'txtpb'];

export function parserByName(name: string): Parser {
  const p = AVAILABLE[name];
  if (p) return p;
  if (name in UNAVAILABLE_PARSERS) return unavailableParser(name);
  throw new PolicyError('policy_parser_unknown', `unknown parser: ${name}`);
}

/** The parser name Conftest would choose for a path, or undefined when the file is not supported. */
export function parserNameForPath(path: string): string | undefined {
  if (path === '-') return 'yaml';
  const name = basename(path).toLowerCase();
  const ext = extname(path).slice(1).toLowerCase();
  if (name === 'dockerfile' || name.startsWith('dockerfile.') || ext === 'dockerfile') return 'dockerfile';
  if (ext === 'yml' || ext === 'yaml') return 'yaml';
  if (ext === 'hcl' || ext === 'tf' || ext === 'tfvars') return 'hcl2';
  if (ext === 'gitignore' || ext === 'dockerignore' || name === '.gitignore' || name === '.dockerignore') return 'ignore';
  if (name === '.env' || name.startsWith('.env.') || ext === 'env') return 'dotenv';
  if (name === 'nginx.conf') return 'nginx';
  if (name === 'jenkinsfile' || name.startsWith('jenkinsfile.')) return 'groovy';
  if (TEXTPROTO_EXTENSIONS.includes(ext)) return 'textproto';
  if ((PARSER_NAMES as readonly string[]).includes(ext)) return ext;
  return undefined;
}

export function parserForPath(path: string, override?: string): Parser {
  if (override) return parserByName(override);
  const name = parserNameForPath(path);
  if (!name) throw new PolicyError('policy_parser_unknown', `unknown parser for file ${path}: no parser for its extension (use --parser)`);
  return parserByName(name);
}
