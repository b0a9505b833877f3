export const prometheusModule: string;
export function goBinDir(): string | undefined;
export function findPrometheus(): string | undefined;
