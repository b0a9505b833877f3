import type { Option } from 'clipanion';

type Builder = Parameters<Option.CommandOption<unknown>['definition']>[0];
type UsageOptions = Parameters<Builder['usage']>[0];

/** For each command's builder, the value name of each of its options (by clipanion's `--out,-o` spelling). */
const valueNamesByBuilder = new WeakMap<Builder, Map<string, string>>();

/**
 * Names an option's value in usage lines and help: `--admin URL` where clipanion writes
 * `--admin #0`. Clipanion 3 has no setting for it (arcanis/clipanion#173), but it builds every
 * usage line, for --help and for the candidates its errors list, through the builder of the
 * command, so the option records its value name there and the builder's usage writes it in.
 *
 *     admin = valueNamed('URL', Option.String('--admin', { description: '...' }));
 */
export function valueNamed<T>(name: string, option: T): T {
  const spec = option as unknown as { definition: (builder: Builder, key: string) => void };
  const define = spec.definition;
  spec.definition = function (builder: Builder, key: string) {
    define.call(this, builder, key);
    const added = builder.options[builder.options.length - 1]!;
    valueNamesOf(builder).set(added.names.join(','), name);
  };
  return option;
}

function valueNamesOf(builder: Builder): Map<string, string> {
  const known = valueNamesByBuilder.get(builder);
  if (known) return known;
  const names = new Map<string, string>();
  valueNamesByBuilder.set(builder, names);
  const usage = builder.usage.bind(builder);
  // In a usage line an option stands in brackets, `[--out,-o #0]` (or `<...>` when required); in
  // the option list of --help, alone.
  const inLine = (text: string) =>
    [...names].reduce(
      (out, [option, name]) =>
        out.split(`[${option} #0]`).join(`[${option} ${name}]`).split(`<${option} #0>`).join(`<${option} ${name}>`),
      text,
    );
  const alone = (definition: string) => {
    const name = names.get(definition.replace(/ #0$/, ''));
    return name === undefined ? definition : definition.replace(/ #0$/, ` ${name}`);
  };
  builder.usage = (opts?: UsageOptions) => {
    const built = usage(opts);
    return {
      usage: inLine(built.usage),
      options: built.options.map((o) => ({ ...o, definition: alone(o.definition) })),
    };
  };
  return names;
}
