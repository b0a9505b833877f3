/**
 * Every diagnostic code dgate-cli prints. Codes are stable: never reassign or reuse one.
 * docs/errors.md documents each; a unit test keeps the two in step.
 */
export const codes = {
  // 0xxx: command line and environment
  DG0001: 'invalid command-line usage',
  DG0002: 'config path not found',
  DG0003: 'no config files found',
  DG0004: 'file could not be read',
  DG0005: 'output could not be written',
  DG0006: 'saved plan unusable',
  // 30xx: apply, releases, recovery
  DG3001: 'confirmation required',
  DG3002: 'an earlier apply was interrupted',
  DG3003: 'apply failed and was rolled back',
  DG3004: 'rollback left differences',
  DG3005: 'saved plan is stale',
  DG3006: 'cluster is locked by another apply',
  DG3007: 'release not found',
  DG3008: 'nothing to recover',
  DG3009: 'rollback would need secret values it does not have',
  DG3010: 'change impossible on this cluster',
  // 20xx: the cluster
  DG2001: 'cluster unreachable',
  DG2002: 'cluster refused the credentials',
  DG2003: 'unexpected answer from the cluster',
  DG2004: 'cluster request timed out',
  DG2005: 'TLS verification failed',
  DG2006: 'sensitive value could not be resolved',
  DG2007: 'invalid cluster option',
  // 10xx: syntax and schema
  DG1001: 'YAML syntax error',
  DG1002: 'unknown field',
  DG1003: 'wrong type',
  DG1004: 'missing required field',
  DG1005: 'value not allowed',
  DG1006: 'invalid name',
  DG1007: 'invalid duration',
  DG1008: 'conflicting or missing alternatives',
  DG1009: 'value out of range',
  DG1010: 'duplicate list item',
  DG1011: 'empty value',
  DG1012: 'value does not match the expected form',
  DG1013: 'field requires another field',
  // 11xx: meaning
  DG1101: 'resource defined twice',
  DG1102: 'namespace tags conflict',
  DG1103: 'route references a missing service',
  DG1104: 'route references a missing module',
  DG1105: 'invalid route methods',
  DG1106: 'invalid service URL',
  DG1107: 'invalid domain pattern',
  DG1108: 'module type unknown',
  DG1109: 'referenced file missing',
  DG1110: 'referenced file outside the config root',
  DG1111: 'referenced path is not a file',
  DG1112: 'documents in a collection that is not of type document',
  DG1113: 'invalid collection schema',
  DG1114: 'collection schema keyword DGate cannot load',
  DG1115: 'document breaks its collection schema',
  DG1116: 'invalid path pattern',
  DG1117: 'JavaScript module does not compile as a script',
  DG1118: 'reserved namespace',
  DG1119: 'plaintext secret value not allowed',
  // 19xx: warnings
  DG1901: 'plaintext secret value',
  DG1902: 'field has no effect on DGate v0.11',
  DG1903: 'route modules out of name order',
  DG1904: 'stripped path sent without a leading slash',
  // 9xxx: internal
  DG9001: 'internal error',
} as const;

export type Code = keyof typeof codes;
