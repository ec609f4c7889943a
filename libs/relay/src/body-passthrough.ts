import { HttpException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

const refusal = (status: number, error: string, message: string) => new HttpException({ error, message }, status);

/**
 * Request bodies are streamed to the service, not parsed here (the service validates them against its
 * DTOs). Only their size is the gateway's business: a declared length over the limit is refused before a
 * byte is relayed, and a body without a declared length (chunked) is refused, since its size cannot be
 * bounded before relaying it.
 */
export function streamRequestBodies(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, done) => {
    const declared = request.headers['content-length'];
    if (declared === undefined) return done(refusal(411, 'length_required', 'a request body needs a Content-Length'), undefined);
    if (Number(declared) > limitBytes) return done(refusal(413, 'payload_too_large', `request body is larger than ${limitBytes} bytes`), undefined);
    done(null, payload);
  });
}
