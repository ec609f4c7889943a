import { Controller, Get, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { Public } from '@trustline/security';
import { z } from 'zod';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { escapeHtml, htmlSecurityHeaders, page } from '../oidc/html';
import { AttemptLimits } from '../attempts/attempt-limits.service';
import { abuseLimited, logins } from '../auth-metrics';
import { AuditService } from '../audit/audit.service';
import { auditRequestId } from '../audit/request-id';
import { OidcProviderHost } from '../oidc/oidc-provider.host';
import { buildGrant, type EngineClient, isFirstParty } from '../oidc/oidc-provider.factory';
import { OIDC_SCOPES } from '../oidc/resources';
import { UsersService } from '../users/users.service';
import { CsrfTokens } from './csrf';
import { consentPage, loginPage } from './interaction.views';

const uidSchema = z.string().regex(/^[A-Za-z0-9_-]{10,64}$/);
const loginForm = z.object({ csrf: z.string().max(128), username: z.string().trim().min(1).max(128), password: z.string().min(1).max(1024) });
const csrfForm = z.object({ csrf: z.string().max(128) });

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The login and consent pages the engine sends users to (`interactions.url`). The engine binds each
 * interaction to a path-scoped cookie; these handlers add a CSRF token, an Origin check and validation.
 */
// Browser pages: the user is signing in, so there is no token yet; the engine's interaction cookie,
// the CSRF token and the Origin check protect them.
@Public()
@Controller('interaction')
export class InteractionController {
  constructor(
    private readonly host: OidcProviderHost,
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
    @Inject(CsrfTokens) private readonly csrf: CsrfTokens,
    private readonly users: UsersService,
    private readonly attempts: AttemptLimits,
    private readonly audit: AuditService,
  ) {}

  /** The engine as it is now (it is rebuilt when the signing keys change). */
  private get provider(): Provider {
    return this.host.provider;
  }

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const interaction = await this.load(uid, request, reply);
    if (!interaction) return;
    const client = await this.client(interaction);
    if (!client) return this.fail(reply, HttpStatus.BAD_REQUEST, 'The application is no longer registered.');
    if (interaction.prompt.name === 'login') {
      return this.html(reply, HttpStatus.OK, loginPage({ uid, csrf: this.csrf.issue(uid), clientName: client.clientName ?? client.clientId }), interaction);
    }
    if (isFirstParty(client)) return this.finishConsent(interaction, client, request, reply);
    const grant = await buildGrant(this.provider, client, interaction.params, this.users, interaction.grantId, String(interaction.session?.accountId));
    return this.html(
      reply,
      HttpStatus.OK,
      consentPage({
        uid,
        csrf: this.csrf.issue(uid),
        clientName: client.clientName ?? client.clientId,
        identityScopes: String(interaction.params.scope ?? '')
          .split(' ')
          .filter((scope) => (OIDC_SCOPES as readonly string[]).includes(scope)),
        resources: Object.keys(grant.resources ?? {}).map((resource) => ({
          resource,
          scopes: String(grant.resources?.[resource] ?? '')
            .split(' ')
            .filter(Boolean),
        })),
      }),
      interaction,
    );
  }

  @Post(':uid/login')
  async login(@Param('uid') uid: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const interaction = await this.load(uid, request, reply);
    if (!interaction || !this.checkForm(uid, request, reply)) return;
    const client = await this.client(interaction);
    if (!client) return this.fail(reply, HttpStatus.BAD_REQUEST, 'The application is no longer registered.');
    const form = loginForm.safeParse(request.body);
    const clientName = client.clientName ?? client.clientId;
    if (!form.success || interaction.prompt.name !== 'login') {
      return this.html(reply, HttpStatus.BAD_REQUEST, loginPage({ uid, csrf: this.csrf.issue(uid), clientName, error: 'Enter a username and a password.' }), interaction);
    }
    const { username, password } = form.data;
    const requestId = auditRequestId(request.headers['x-request-id']);
    // Counted before the password is looked at (atomically: concurrent guesses cannot slip past the limit).
    const attempt = await this.attempts.beginLogin(username, request.ip);
    if (attempt.wait > 0) {
      // Refused before the password is looked at: a blocked guesser learns nothing, right or wrong.
      logins.inc({ outcome: 'blocked' });
      abuseLimited.inc({ limit: attempt.limit === 'account' ? 'login_account' : 'login_address' });
      await this.audit.record({
        type: 'login.blocked',
        outcome: 'failure',
        reason: attempt.limit === 'account' ? 'account_slowed_down' : 'too_many_failures',
        clientId: client.clientId,
        ip: request.ip,
        requestId,
        details: { username: await this.recordableUsername(username) },
      });
      reply.header('retry-after', String(attempt.wait));
      const when = attempt.wait < 60 ? `${attempt.wait} second(s)` : `${Math.ceil(attempt.wait / 60)} minute(s)`;
      return this.html(
        reply,
        HttpStatus.TOO_MANY_REQUESTS,
        loginPage({ uid, csrf: this.csrf.issue(uid), clientName, username, error: `Too many failed sign-ins. Try again in ${when}.` }),
        interaction,
      );
    }
    const user = await this.users.authenticate(username, password).catch(async (error: unknown) => {
      // Undecided (the store failed): not a wrong password, so the attempt's points are given back.
      await attempt.abandoned();
      throw error;
    });
    if (!user) {
      await attempt.failed();
      logins.inc({ outcome: 'failure' });
      await this.audit.record({
        type: 'login.failure',
        outcome: 'failure',
        reason: 'bad_credentials',
        clientId: client.clientId,
        ip: request.ip,
        requestId,
        details: { username: await this.recordableUsername(username) },
      });
      return this.html(reply, HttpStatus.UNAUTHORIZED, loginPage({ uid, csrf: this.csrf.issue(uid), clientName, username, error: 'Wrong username or password.' }), interaction);
    }
    await attempt.succeeded();
    logins.inc({ outcome: 'success' });
    await this.audit.record({ type: 'login.success', outcome: 'success', clientId: client.clientId, subject: user.id, ip: request.ip, requestId });
    const location = await this.provider.interactionResult(request.raw, reply.raw, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
    return reply.code(303).header('location', location).send();
  }

  @Post(':uid/confirm')
  async confirm(@Param('uid') uid: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const interaction = await this.load(uid, request, reply);
    if (!interaction || !this.checkForm(uid, request, reply)) return;
    if (interaction.prompt.name !== 'consent') return this.fail(reply, HttpStatus.BAD_REQUEST, 'Nothing to confirm.');
    const client = await this.client(interaction);
    if (!client) return this.fail(reply, HttpStatus.BAD_REQUEST, 'The application is no longer registered.');
    return this.finishConsent(interaction, client, request, reply);
  }

  @Post(':uid/abort')
  async abort(@Param('uid') uid: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const interaction = await this.load(uid, request, reply);
    if (!interaction || !this.checkForm(uid, request, reply)) return;
    const location = await this.provider.interactionResult(
      request.raw,
      reply.raw,
      { error: 'access_denied', error_description: 'the user denied the request' },
      { mergeWithLastSubmission: false },
    );
    return reply.code(303).header('location', location).send();
  }

  private async finishConsent(interaction: Interaction, client: EngineClient, request: FastifyRequest, reply: FastifyReply) {
    const accountId = String(interaction.session?.accountId ?? '');
    const grant = await buildGrant(this.provider, client, interaction.params, this.users, interaction.grantId, accountId);
    const grantId = await grant.save();
    const location = await this.provider.interactionResult(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return reply.code(303).header('location', location).send();
  }

  /** The interaction bound to this browser, or an error page (expired, unknown, or another browser's). */
  private async load(uid: string, request: FastifyRequest, reply: FastifyReply): Promise<Interaction | undefined> {
    if (!uidSchema.safeParse(uid).success) {
      this.fail(reply, HttpStatus.BAD_REQUEST, 'Invalid sign-in link.');
      return undefined;
    }
    try {
      const interaction = await this.provider.interactionDetails(request.raw, reply.raw);
      if (interaction.uid === uid) return interaction;
    } catch {
      // SessionNotFound and friends: the cookie is missing, expired or belongs to another interaction.
    }
    this.fail(reply, HttpStatus.BAD_REQUEST, 'This sign-in request has expired or was started in another browser. Go back to the application and try again.');
    return undefined;
  }

  /** Same-origin form posts only (Origin, when the browser sends it), with a valid CSRF token. */
  private checkForm(uid: string, request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    const form = csrfForm.safeParse(request.body);
    if ((origin !== undefined && origin !== new URL(this.config.issuer).origin) || !form.success || !this.csrf.verify(uid, form.data.csrf)) {
      this.fail(reply, HttpStatus.FORBIDDEN, 'The form could not be verified. Go back to the application and try again.');
      return false;
    }
    return true;
  }

  /**
   * The username as the log and the audit may keep it: the account's own name when the typed one names
   * an account, else `unknown`. What was typed may be a password typed into the wrong field.
   */
  private async recordableUsername(typed: string): Promise<string> {
    return (await this.users.findByUsername(typed))?.username ?? 'unknown';
  }

  private async client(interaction: Interaction): Promise<EngineClient | undefined> {
    return this.provider.Client.find(String(interaction.params.client_id));
  }

  private fail(reply: FastifyReply, status: number, message: string) {
    return this.html(reply, status, page('Sign-in problem', `<h1>Sign-in problem</h1><p class="error">${escapeHtml(message)}</p>`));
  }

  /** An HTML page; one with the interaction's forms may post on to the client's (exactly matched) redirect URI. */
  private html(reply: FastifyReply, status: number, body: string, interaction?: Interaction) {
    return reply.code(status).headers(htmlSecurityHeaders(interaction?.params.redirect_uri)).type('text/html; charset=utf-8').send(body);
  }
}
