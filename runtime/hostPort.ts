/** host:port, with an IPv6 host in brackets, as URLs and gRPC targets want it. */
export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
