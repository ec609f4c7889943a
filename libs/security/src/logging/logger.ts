import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Query parameters whose values are credentials or tokens (RFC 6749/6750, OIDC logout). */
const SECRET_QUERY_PARAMS = /^(code|token|access_token|refresh_token|id_token|id_token_hint|client_secret|client_assertion|password|logout_hint)$/i;

/** A URL fit for a log line: the path, and query parameter names with secret values redacted. */
export function loggableUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  const parts = [...params.keys()].map((key) => (SECRET_QUERY_PARAMS.test(key) ? `${key}=[redacted]` : `${key}=${params.get(key)}`));
  return `${url.slice(0, question)}?${parts.join('&')}`;
}

/**
 * The structured logger every line goes through. Headers are not serialised at all (Authorization,
 * Cookie, DPoP), and bodies never are: tokens, secrets and passwords cannot reach a log line.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        // Structured lines put fields at the top level, objects one level down: both are covered.
        ...['authorization', 'password', 'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', 'client_assertion'].flatMap((field) => [field, `*.${field}`]),
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id?: string; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url ?? '') }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Nest's logger interface over pino, so framework lines are structured and redacted too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, context, trace);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }

  /** A structured message (an object) becomes fields of the line, its `event` the message text. */
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string, trace?: string) {
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const fields = message as Record<string, unknown>;
      this.logger[level]({ context, ...fields, ...(trace ? { trace } : {}) }, typeof fields.event === 'string' ? fields.event : String(context ?? 'event'));
      return;
    }
    this.logger[level]({ context, ...(trace ? { trace } : {}) }, String(message));
  }
}
