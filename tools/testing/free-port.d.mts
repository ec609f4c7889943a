/** A free TCP port on 127.0.0.1, at random below the kernel's ephemeral range, never the same twice in a process. */
export declare function freePort(): Promise<number>;
