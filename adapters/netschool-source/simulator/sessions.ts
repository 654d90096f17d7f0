import { randomBytes, randomInt } from 'node:crypto';
import { hashPassword } from '../password';

/** Version string `auth/getdata` hands out and `login` expects back. */
export const SIM_VER = '5.43.62218';
/** Session lifetime the simulator announces in `timeOut` (seconds, as the SPA reads it). */
export const SIM_TIMEOUT_SEC = 3600;

interface LoginTicket { salt: string; cookie: string; used: boolean }

export interface SimSession {
  at: string;
  cookie: string;
  login: string;
  userId: number;
  loginTime: number;
  lastSeen: number;
  /** The SecurityWarning page is pending for this session until confirmed. */
  warning: boolean;
}

export type LoginCheck =
  | { ok: true; session: SimSession }
  | { ok: false; status: number; message: string };

export interface LoginForm {
  loginType?: string; scid?: string; un?: string; pw?: string; pw2?: string; lt?: string; ver?: string;
}

/**
 * Sessions of the simulated web API: `NSSESSIONID` cookies from `logindata`, single-use
 * `lt` tickets with their salts from `auth/getdata`, and `at` tokens from `login`.
 */
export class SessionStore {
  private readonly tickets = new Map<string, LoginTicket>();
  private readonly sessions = new Map<string, SimSession>();

  constructor(
    private readonly account: { login: string; password: string; userId: number; schoolId: number },
    private readonly now: () => Date,
  ) {}

  newCookie(): string {
    return randomBytes(16).toString('hex');
  }

  /** A fresh lt/salt pair bound to the cookie (fresh per call, as the real server does). */
  issueTicket(cookie: string): { lt: string; ver: string; salt: string } {
    const lt = String(randomInt(100_000_000, 999_999_999));
    const salt = String(randomInt(1_000_000_000, 2_000_000_000));
    this.tickets.set(lt, { salt, cookie, used: false });
    return { lt, ver: SIM_VER, salt };
  }

  /** Checks a login form the way the server does; on success opens a session. */
  login(form: LoginForm, cookie: string | undefined, forceWarning: boolean): LoginCheck {
    const ticket = form.lt ? this.tickets.get(form.lt) : undefined;
    if (!ticket || ticket.used || ticket.cookie !== cookie || form.ver !== SIM_VER) {
      return { ok: false, status: 409, message: 'Сессия входа устарела. Обновите страницу и войдите снова.' };
    }
    ticket.used = true;
    this.tickets.delete(form.lt as string);
    if (String(form.scid) !== String(this.account.schoolId)) {
      return { ok: false, status: 409, message: 'Пользователь не найден в выбранной образовательной организации.' };
    }
    const expected = hashPassword(this.account.password, ticket.salt);
    if ((form.un ?? '').toLowerCase() !== this.account.login.toLowerCase() || form.pw2 !== expected.pw2 || form.pw !== expected.pw) {
      return { ok: false, status: 409, message: 'Неправильный пароль или имя пользователя' };
    }
    this.purgeExpired();
    const anotherActive = [...this.sessions.values()].some((s) => s.login === this.account.login);
    const t = this.now().getTime();
    const session: SimSession = {
      at: randomBytes(24).toString('hex'), cookie: cookie as string, login: this.account.login, userId: this.account.userId,
      loginTime: t, lastSeen: t, warning: forceWarning || anotherActive,
    };
    this.sessions.set(session.at, session);
    return { ok: true, session };
  }

  /** The live session for this `at` and cookie (touching it), or undefined (→ 401). */
  authenticate(at: string | undefined, cookie: string | undefined): SimSession | undefined {
    if (!at) return undefined;
    const s = this.sessions.get(at);
    if (!s || s.cookie !== cookie) return undefined;
    const t = this.now().getTime();
    if (t - s.lastSeen > SIM_TIMEOUT_SEC * 1000) {
      this.sessions.delete(at);
      return undefined;
    }
    s.lastSeen = t;
    return s;
  }

  byToken(at: string): SimSession | undefined {
    return this.sessions.get(at);
  }

  end(at: string): void {
    this.sessions.delete(at);
  }

  expireAll(): void {
    this.sessions.clear();
  }

  list(): SimSession[] {
    this.purgeExpired();
    return [...this.sessions.values()];
  }

  private purgeExpired(): void {
    const t = this.now().getTime();
    for (const [at, s] of this.sessions) if (t - s.lastSeen > SIM_TIMEOUT_SEC * 1000) this.sessions.delete(at);
  }
}
