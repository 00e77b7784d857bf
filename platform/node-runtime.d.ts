// Types of node-runtime.js (plain JavaScript: see its header).
export declare const SERVER_V8_FLAGS: string[];
export declare function missingServerFlags(execArgv: string[], nodeOptions: string | undefined): string[];
export declare const SERVER_ENV: Record<string, string>;
export declare function missingServerEnv(env: Record<string, string | undefined>): Record<string, string>;
