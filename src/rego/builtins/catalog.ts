// The catalogue of Rego builtins: every function OPA 1.x declares, with its category and typed signature
// in OPA's capabilities format (the same JSON shape `--capabilities` files use). Implementations live apart,
// one file per category (builtins/<category>.ts); this table is the single declaration of each builtin.

export type TypeDecl =
  | { type: 'any'; of?: TypeDecl[] | TypeDecl }
  | { type: 'null' | 'boolean' | 'number' | 'string' }
  | { type: 'array'; static?: TypeDecl[]; dynamic?: TypeDecl }
  | { type: 'set'; of?: TypeDecl }
  | {
      type: 'object';
      static?: { key: unknown; value: TypeDecl }[];
      dynamic?: { key: TypeDecl; value: TypeDecl };
    }
  | { type: 'function'; args?: TypeDecl[]; result?: TypeDecl; variadic?: TypeDecl };

export interface FunctionDecl {
  type: 'function';
  args?: TypeDecl[];
  result?: TypeDecl;
  variadic?: TypeDecl;
}

export interface BuiltinEntry {
  name: string;
  category: string;
  decl: FunctionDecl;
  infix?: string;
  /** Results may differ between evaluations (time, randomness, network): cached per query. */
  nondeterministic?: true;
  /** Not available in Rego v1 mode (only with v0 compatibility). */
  deprecated?: true;
  relation?: true;
}

export const catalog: readonly BuiltinEntry[] = [
  {
    name: 'abs',
    category: 'numbers',
    decl: { args: [{ type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'all',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
    deprecated: true,
  },
  {
    name: 'and',
    category: 'sets',
    decl: {
      args: [
        { of: { type: 'any' }, type: 'set' },
        { of: { type: 'any' }, type: 'set' },
      ],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
    infix: '&',
  },
  {
    name: 'any',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
    deprecated: true,
  },
  {
    name: 'array.concat',
    category: 'array',
    decl: {
      args: [
        { dynamic: { type: 'any' }, type: 'array' },
        { dynamic: { type: 'any' }, type: 'array' },
      ],
      result: { dynamic: { type: 'any' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'array.reverse',
    category: 'array',
    decl: {
      args: [{ dynamic: { type: 'any' }, type: 'array' }],
      result: { dynamic: { type: 'any' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'array.slice',
    category: 'array',
    decl: {
      args: [{ dynamic: { type: 'any' }, type: 'array' }, { type: 'number' }, { type: 'number' }],
      result: { dynamic: { type: 'any' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'assign',
    category: 'internal',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: ':=',
  },
  {
    name: 'base64.decode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'base64.encode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'base64.is_valid',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'base64url.decode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'base64url.encode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'base64url.encode_no_pad',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'bits.and',
    category: 'bits',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'bits.lsh',
    category: 'bits',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'bits.negate',
    category: 'bits',
    decl: { args: [{ type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'bits.or',
    category: 'bits',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'bits.rsh',
    category: 'bits',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'bits.xor',
    category: 'bits',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'cast_array',
    category: 'casts',
    decl: { args: [{ type: 'any' }], result: { dynamic: { type: 'any' }, type: 'array' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'cast_boolean',
    category: 'casts',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'cast_null',
    category: 'casts',
    decl: { args: [{ type: 'any' }], result: { type: 'null' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'cast_object',
    category: 'casts',
    decl: {
      args: [{ type: 'any' }],
      result: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
    deprecated: true,
  },
  {
    name: 'cast_set',
    category: 'casts',
    decl: { args: [{ type: 'any' }], result: { of: { type: 'any' }, type: 'set' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'cast_string',
    category: 'casts',
    decl: { args: [{ type: 'any' }], result: { type: 'string' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'ceil',
    category: 'numbers',
    decl: { args: [{ type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'concat',
    category: 'strings',
    decl: {
      args: [
        { type: 'string' },
        {
          of: [
            { dynamic: { type: 'string' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'contains',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'count',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { type: 'string' },
            { dynamic: { type: 'any' }, type: 'array' },
            { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'number' },
      type: 'function',
    },
  },
  {
    name: 'crypto.hmac.equal',
    category: 'crypto',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'crypto.hmac.md5',
    category: 'crypto',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.hmac.sha1',
    category: 'crypto',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.hmac.sha256',
    category: 'crypto',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.hmac.sha512',
    category: 'crypto',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.md5',
    category: 'crypto',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.parse_private_keys',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }],
      result: {
        dynamic: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'crypto.sha1',
    category: 'crypto',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.sha256',
    category: 'crypto',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'crypto.x509.parse_and_verify_certificates',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }],
      result: {
        static: [
          { type: 'boolean' },
          { dynamic: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }, type: 'array' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'crypto.x509.parse_and_verify_certificates_with_options',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }, { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }],
      result: {
        static: [
          { type: 'boolean' },
          { dynamic: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }, type: 'array' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'crypto.x509.parse_certificate_request',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }],
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'crypto.x509.parse_certificates',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }],
      result: {
        dynamic: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'crypto.x509.parse_keypair',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }],
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'crypto.x509.parse_rsa_private_key',
    category: 'crypto',
    decl: {
      args: [{ type: 'string' }],
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'div',
    category: 'numbers',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
    infix: '/',
  },
  {
    name: 'endswith',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'eq',
    category: 'internal',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '=',
  },
  {
    name: 'equal',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '==',
  },
  {
    name: 'floor',
    category: 'numbers',
    decl: { args: [{ type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'format_int',
    category: 'strings',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'glob.match',
    category: 'glob',
    decl: {
      args: [
        { type: 'string' },
        { of: [{ type: 'null' }, { dynamic: { type: 'string' }, type: 'array' }], type: 'any' },
        { type: 'string' },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'glob.quote_meta',
    category: 'glob',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'graph.reachable',
    category: 'graph',
    decl: {
      args: [
        {
          dynamic: {
            key: { type: 'any' },
            value: {
              of: [
                { dynamic: { type: 'any' }, type: 'array' },
                { of: { type: 'any' }, type: 'set' },
              ],
              type: 'any',
            },
          },
          type: 'object',
        },
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'graph.reachable_paths',
    category: 'graph',
    decl: {
      args: [
        {
          dynamic: {
            key: { type: 'any' },
            value: {
              of: [
                { dynamic: { type: 'any' }, type: 'array' },
                { of: { type: 'any' }, type: 'set' },
              ],
              type: 'any',
            },
          },
          type: 'object',
        },
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { of: { dynamic: { type: 'any' }, type: 'array' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'graphql.is_valid',
    category: 'graphql',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'graphql.parse',
    category: 'graphql',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: {
        static: [
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'graphql.parse_and_verify',
    category: 'graphql',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: {
        static: [
          { type: 'boolean' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'graphql.parse_query',
    category: 'graphql',
    decl: {
      args: [{ type: 'string' }],
      result: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'graphql.parse_schema',
    category: 'graphql',
    decl: {
      args: [{ type: 'string' }],
      result: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'graphql.schema_is_valid',
    category: 'graphql',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'gt',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '>',
  },
  {
    name: 'gte',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '>=',
  },
  {
    name: 'hex.decode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'hex.encode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'http.send',
    category: 'http',
    decl: {
      args: [{ dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }],
      result: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
    nondeterministic: true,
  },
  {
    name: 'indexof',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'indexof_n',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }],
      result: { dynamic: { type: 'number' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'internal.member_2',
    category: 'internal',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: 'in',
  },
  {
    name: 'internal.member_3',
    category: 'internal',
    decl: { args: [{ type: 'any' }, { type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: 'in',
  },
  {
    name: 'internal.print',
    category: 'internal',
    decl: { args: [{ dynamic: { of: { type: 'any' }, type: 'set' }, type: 'array' }], type: 'function' },
  },
  {
    name: 'internal.test_case',
    category: 'internal',
    decl: { args: [{ dynamic: { type: 'any' }, type: 'array' }], type: 'function' },
  },
  {
    name: 'intersection',
    category: 'sets',
    decl: {
      args: [{ of: { of: { type: 'any' }, type: 'set' }, type: 'set' }],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'io.jwt.decode',
    category: 'tokens',
    decl: {
      args: [{ type: 'string' }],
      result: {
        static: [
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
          { type: 'string' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'io.jwt.decode_verify',
    category: 'tokens',
    decl: {
      args: [{ type: 'string' }, { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }],
      result: {
        static: [
          { type: 'boolean' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
          { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        ],
        type: 'array',
      },
      type: 'function',
    },
    nondeterministic: true,
  },
  {
    name: 'io.jwt.encode_sign',
    category: 'tokensign',
    decl: {
      args: [
        { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      ],
      result: { type: 'string' },
      type: 'function',
    },
    nondeterministic: true,
  },
  {
    name: 'io.jwt.encode_sign_raw',
    category: 'tokensign',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'string' }],
      result: { type: 'string' },
      type: 'function',
    },
    nondeterministic: true,
  },
  {
    name: 'io.jwt.verify_es256',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_es384',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_es512',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_hs256',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_hs384',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_hs512',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_ps256',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_ps384',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_ps512',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_rs256',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_rs384',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'io.jwt.verify_rs512',
    category: 'tokens',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_array',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_boolean',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_null',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_number',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_object',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_set',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'is_string',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'json.filter',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        {
          of: [
            {
              dynamic: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              type: 'array',
            },
            { of: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'json.is_valid',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'json.marshal',
    category: 'encoding',
    decl: { args: [{ type: 'any' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'json.marshal_with_options',
    category: 'encoding',
    decl: {
      args: [
        { type: 'any' },
        {
          dynamic: { key: { type: 'string' }, value: { type: 'any' } },
          static: [
            { key: 'indent', value: { type: 'string' } },
            { key: 'prefix', value: { type: 'string' } },
            { key: 'pretty', value: { type: 'boolean' } },
          ],
          type: 'object',
        },
      ],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'json.match_schema',
    category: 'object',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: {
        static: [
          { type: 'boolean' },
          {
            dynamic: {
              static: [
                { key: 'desc', value: { type: 'string' } },
                { key: 'error', value: { type: 'string' } },
                { key: 'field', value: { type: 'string' } },
                { key: 'type', value: { type: 'string' } },
              ],
              type: 'object',
            },
            type: 'array',
          },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'json.patch',
    category: 'object',
    decl: {
      args: [
        { type: 'any' },
        {
          dynamic: {
            dynamic: { key: { type: 'any' }, value: { type: 'any' } },
            static: [
              { key: 'op', value: { type: 'string' } },
              { key: 'path', value: { type: 'any' } },
            ],
            type: 'object',
          },
          type: 'array',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'json.remove',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        {
          of: [
            {
              dynamic: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              type: 'array',
            },
            { of: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'json.unmarshal',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'any' }, type: 'function' },
  },
  {
    name: 'json.verify_schema',
    category: 'object',
    decl: {
      args: [
        {
          of: [{ type: 'string' }, { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
          type: 'any',
        },
      ],
      result: {
        static: [{ type: 'boolean' }, { of: [{ type: 'null' }, { type: 'string' }], type: 'any' }],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'lower',
    category: 'strings',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'lt',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '<',
  },
  {
    name: 'lte',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '<=',
  },
  {
    name: 'max',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'min',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'minus',
    category: 'numbers',
    decl: {
      args: [
        { of: [{ type: 'number' }, { of: { type: 'any' }, type: 'set' }], type: 'any' },
        { of: [{ type: 'number' }, { of: { type: 'any' }, type: 'set' }], type: 'any' },
      ],
      result: { of: [{ type: 'number' }, { of: { type: 'any' }, type: 'set' }], type: 'any' },
      type: 'function',
    },
    infix: '-',
  },
  {
    name: 'mul',
    category: 'numbers',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
    infix: '*',
  },
  {
    name: 'neq',
    category: 'comparison',
    decl: { args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' }, type: 'function' },
    infix: '!=',
  },
  {
    name: 'net.cidr_contains',
    category: 'net',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'net.cidr_contains_matches',
    category: 'net',
    decl: {
      args: [
        {
          of: [
            { type: 'string' },
            {
              dynamic: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              type: 'array',
            },
            {
              dynamic: {
                key: { type: 'string' },
                value: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              },
              type: 'object',
            },
            { of: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
        {
          of: [
            { type: 'string' },
            {
              dynamic: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              type: 'array',
            },
            {
              dynamic: {
                key: { type: 'string' },
                value: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' },
              },
              type: 'object',
            },
            { of: { of: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }], type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { of: { static: [{ type: 'any' }, { type: 'any' }], type: 'array' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'net.cidr_expand',
    category: 'net',
    decl: { args: [{ type: 'string' }], result: { of: { type: 'string' }, type: 'set' }, type: 'function' },
  },
  {
    name: 'net.cidr_intersects',
    category: 'net',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'net.cidr_is_valid',
    category: 'net',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'net.cidr_merge',
    category: 'net',
    decl: {
      args: [
        {
          of: [
            { dynamic: { of: [{ type: 'string' }], type: 'any' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { of: { type: 'string' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'net.cidr_overlap',
    category: 'net',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'net.lookup_ip_addr',
    category: 'net',
    decl: { args: [{ type: 'string' }], result: { of: { type: 'string' }, type: 'set' }, type: 'function' },
    nondeterministic: true,
  },
  {
    name: 'numbers.range',
    category: 'numbers',
    decl: {
      args: [{ type: 'number' }, { type: 'number' }],
      result: { dynamic: { type: 'number' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'numbers.range_step',
    category: 'numbers',
    decl: {
      args: [{ type: 'number' }, { type: 'number' }, { type: 'number' }],
      result: { dynamic: { type: 'number' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'object.filter',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'object.get',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        { type: 'any' },
        { type: 'any' },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'object.keys',
    category: 'object',
    decl: {
      args: [{ dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'object.remove',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'object.subset',
    category: 'object',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'object.union',
    category: 'object',
    decl: {
      args: [
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
        { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      ],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'object.union_n',
    category: 'object',
    decl: {
      args: [{ dynamic: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' }, type: 'array' }],
      result: { type: 'any' },
      type: 'function',
    },
  },
  {
    name: 'opa.runtime',
    category: 'opa',
    decl: {
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
    nondeterministic: true,
  },
  {
    name: 'or',
    category: 'sets',
    decl: {
      args: [
        { of: { type: 'any' }, type: 'set' },
        { of: { type: 'any' }, type: 'set' },
      ],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
    infix: '|',
  },
  {
    name: 'plus',
    category: 'numbers',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
    infix: '+',
  },
  { name: 'print', category: 'tracing', decl: { type: 'function', variadic: { type: 'any' } } },
  {
    name: 'product',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'number' }, type: 'array' },
            { of: { type: 'number' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'number' },
      type: 'function',
    },
  },
  {
    name: 'providers.aws.sign_req',
    category: 'providers.aws',
    decl: {
      args: [
        { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
        { type: 'number' },
      ],
      result: { dynamic: { key: { type: 'any' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'rand.intn',
    category: 'numbers',
    decl: { args: [{ type: 'string' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
    nondeterministic: true,
  },
  {
    name: 're_match',
    category: 'regex',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
    deprecated: true,
  },
  {
    name: 'regex.find_all_string_submatch_n',
    category: 'regex',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'number' }],
      result: { dynamic: { dynamic: { type: 'string' }, type: 'array' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'regex.find_n',
    category: 'regex',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'number' }],
      result: { dynamic: { type: 'string' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'regex.globs_match',
    category: 'regex',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'regex.is_valid',
    category: 'regex',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'regex.match',
    category: 'regex',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'regex.replace',
    category: 'regex',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'string' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'regex.split',
    category: 'regex',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }],
      result: { dynamic: { type: 'string' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'regex.template_match',
    category: 'regex',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'string' }, { type: 'string' }],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'rego.metadata.chain',
    category: 'rego',
    decl: { result: { dynamic: { type: 'any' }, type: 'array' }, type: 'function' },
  },
  { name: 'rego.metadata.rule', category: 'rego', decl: { result: { type: 'any' }, type: 'function' } },
  {
    name: 'rego.parse_module',
    category: 'rego',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }],
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'rem',
    category: 'numbers',
    decl: { args: [{ type: 'number' }, { type: 'number' }], result: { type: 'number' }, type: 'function' },
    infix: '%',
  },
  {
    name: 'replace',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }, { type: 'string' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'round',
    category: 'numbers',
    decl: { args: [{ type: 'number' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'semver.compare',
    category: 'semver',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'semver.is_valid',
    category: 'semver',
    decl: { args: [{ type: 'any' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'set_diff',
    category: 'sets',
    decl: {
      args: [
        { of: { type: 'any' }, type: 'set' },
        { of: { type: 'any' }, type: 'set' },
      ],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
    deprecated: true,
  },
  {
    name: 'sort',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'any' }, type: 'array' },
            { of: { type: 'any' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { dynamic: { type: 'any' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'split',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { type: 'string' }],
      result: { dynamic: { type: 'string' }, type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'sprintf',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { dynamic: { type: 'any' }, type: 'array' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'startswith',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'strings.any_prefix_match',
    category: 'strings',
    decl: {
      args: [
        {
          of: [
            { type: 'string' },
            { dynamic: { type: 'string' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
        {
          of: [
            { type: 'string' },
            { dynamic: { type: 'string' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'strings.any_suffix_match',
    category: 'strings',
    decl: {
      args: [
        {
          of: [
            { type: 'string' },
            { dynamic: { type: 'string' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
        {
          of: [
            { type: 'string' },
            { dynamic: { type: 'string' }, type: 'array' },
            { of: { type: 'string' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'boolean' },
      type: 'function',
    },
  },
  {
    name: 'strings.count',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'strings.render_template',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'strings.replace_n',
    category: 'strings',
    decl: {
      args: [{ dynamic: { key: { type: 'string' }, value: { type: 'string' } }, type: 'object' }, { type: 'string' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'strings.reverse',
    category: 'strings',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'substring',
    category: 'strings',
    decl: {
      args: [{ type: 'string' }, { type: 'number' }, { type: 'number' }],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'sum',
    category: 'aggregates',
    decl: {
      args: [
        {
          of: [
            { dynamic: { type: 'number' }, type: 'array' },
            { of: { type: 'number' }, type: 'set' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'number' },
      type: 'function',
    },
  },
  {
    name: 'time.add_date',
    category: 'time',
    decl: {
      args: [{ type: 'number' }, { type: 'number' }, { type: 'number' }, { type: 'number' }],
      result: { type: 'number' },
      type: 'function',
    },
  },
  {
    name: 'time.clock',
    category: 'time',
    decl: {
      args: [
        { of: [{ type: 'number' }, { static: [{ type: 'number' }, { type: 'string' }], type: 'array' }], type: 'any' },
      ],
      result: { static: [{ type: 'number' }, { type: 'number' }, { type: 'number' }], type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'time.date',
    category: 'time',
    decl: {
      args: [
        { of: [{ type: 'number' }, { static: [{ type: 'number' }, { type: 'string' }], type: 'array' }], type: 'any' },
      ],
      result: { static: [{ type: 'number' }, { type: 'number' }, { type: 'number' }], type: 'array' },
      type: 'function',
    },
  },
  {
    name: 'time.diff',
    category: 'time',
    decl: {
      args: [
        { of: [{ type: 'number' }, { static: [{ type: 'number' }, { type: 'string' }], type: 'array' }], type: 'any' },
        { of: [{ type: 'number' }, { static: [{ type: 'number' }, { type: 'string' }], type: 'array' }], type: 'any' },
      ],
      result: {
        static: [
          { type: 'number' },
          { type: 'number' },
          { type: 'number' },
          { type: 'number' },
          { type: 'number' },
          { type: 'number' },
        ],
        type: 'array',
      },
      type: 'function',
    },
  },
  {
    name: 'time.format',
    category: 'time',
    decl: {
      args: [
        {
          of: [
            { type: 'number' },
            { static: [{ type: 'number' }, { type: 'string' }], type: 'array' },
            { static: [{ type: 'number' }, { type: 'string' }, { type: 'string' }], type: 'array' },
          ],
          type: 'any',
        },
      ],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'time.now_ns',
    category: 'time',
    decl: { result: { type: 'number' }, type: 'function' },
    nondeterministic: true,
  },
  {
    name: 'time.parse_duration_ns',
    category: 'time',
    decl: { args: [{ type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'time.parse_ns',
    category: 'time',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'time.parse_rfc3339_ns',
    category: 'time',
    decl: { args: [{ type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'time.weekday',
    category: 'time',
    decl: {
      args: [
        { of: [{ type: 'number' }, { static: [{ type: 'number' }, { type: 'string' }], type: 'array' }], type: 'any' },
      ],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'to_number',
    category: 'conversions',
    decl: {
      args: [{ of: [{ type: 'null' }, { type: 'boolean' }, { type: 'number' }, { type: 'string' }], type: 'any' }],
      result: { type: 'number' },
      type: 'function',
    },
  },
  {
    name: 'trace',
    category: 'tracing',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'trim',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'trim_left',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'trim_prefix',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'trim_right',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'trim_space',
    category: 'strings',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'trim_suffix',
    category: 'strings',
    decl: { args: [{ type: 'string' }, { type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'type_name',
    category: 'types',
    decl: { args: [{ type: 'any' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'union',
    category: 'sets',
    decl: {
      args: [{ of: { of: { type: 'any' }, type: 'set' }, type: 'set' }],
      result: { of: { type: 'any' }, type: 'set' },
      type: 'function',
    },
  },
  {
    name: 'units.parse',
    category: 'units',
    decl: { args: [{ type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'units.parse_bytes',
    category: 'units',
    decl: { args: [{ type: 'string' }], result: { type: 'number' }, type: 'function' },
  },
  {
    name: 'upper',
    category: 'strings',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'urlquery.decode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'urlquery.decode_object',
    category: 'encoding',
    decl: {
      args: [{ type: 'string' }],
      result: {
        dynamic: { key: { type: 'string' }, value: { dynamic: { type: 'string' }, type: 'array' } },
        type: 'object',
      },
      type: 'function',
    },
  },
  {
    name: 'urlquery.encode',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'urlquery.encode_object',
    category: 'encoding',
    decl: {
      args: [
        {
          dynamic: {
            key: { type: 'string' },
            value: {
              of: [
                { type: 'string' },
                { dynamic: { type: 'string' }, type: 'array' },
                { of: { type: 'string' }, type: 'set' },
              ],
              type: 'any',
            },
          },
          type: 'object',
        },
      ],
      result: { type: 'string' },
      type: 'function',
    },
  },
  {
    name: 'uuid.parse',
    category: 'uuid',
    decl: {
      args: [{ type: 'string' }],
      result: { dynamic: { key: { type: 'string' }, value: { type: 'any' } }, type: 'object' },
      type: 'function',
    },
  },
  {
    name: 'uuid.rfc4122',
    category: 'uuid',
    decl: { args: [{ type: 'string' }], result: { type: 'string' }, type: 'function' },
    nondeterministic: true,
  },
  {
    name: 'walk',
    category: 'graph',
    decl: {
      args: [{ type: 'any' }],
      result: { static: [{ dynamic: { type: 'any' }, type: 'array' }, { type: 'any' }], type: 'array' },
      type: 'function',
    },
    relation: true,
  },
  {
    name: 'yaml.is_valid',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'boolean' }, type: 'function' },
  },
  {
    name: 'yaml.marshal',
    category: 'encoding',
    decl: { args: [{ type: 'any' }], result: { type: 'string' }, type: 'function' },
  },
  {
    name: 'yaml.unmarshal',
    category: 'encoding',
    decl: { args: [{ type: 'string' }], result: { type: 'any' }, type: 'function' },
  },
];
