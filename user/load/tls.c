// SPDX-License-Identifier: MIT
/*
 * TLS for the load generator (OpenSSL): one SSL_CTX per run, one SSL per
 * connection over the engine's non-blocking socket, and read/write wrappers
 * that answer as read()/send() do (>0, 0 at the peer's close, -1 and errno:
 * EAGAIN when OpenSSL wants the socket again, whichever way; EPROTO for a
 * TLS error), so conn.c keeps one state machine for http and https.
 *
 * Resumption: with tls_resume, each slot keeps the last session the server
 * gave it and offers it on its next connection. Under TLS 1.3 the session
 * (a ticket) only arrives after the handshake, in the first records read,
 * so the slot's session is taken from the new-session callback, never from
 * SSL_get1_session() right after SSL_connect (which would give a session
 * that cannot resume).
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "load/engine.h"

/* The slot's newest session replaces the one it had. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);

	if (!c || !SSL_SESSION_is_resumable(sess))
		return 0;
	if (c->sess)
		SSL_SESSION_free(c->sess);
	c->sess = sess;
	return 1; /* the slot owns it now */
}

/* The first error in OpenSSL's queue, as a short phrase ("wrong version number"). */
static void ssl_reason(char *buf, size_t n)
{
	unsigned long err = ERR_peek_error();
	const char *r = err ? ERR_reason_error_string(err) : NULL;

	snprintf(buf, n, "%s", r ? r : "protocol error");
	ERR_clear_error();
}

int lg_tls_init(struct shared *sh, struct errbuf *e)
{
	const struct lg_config *cfg = sh->cfg;
	SSL_CTX *ctx;

	if (!cfg->tls)
		return 0;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		err_set(e, "cannot set up TLS (OpenSSL)");
		SSL_CTX_free(ctx);
		return -1;
	}
	/* a server that closes without close_notify is an EOF like any other:
	 * the engine's classes (idle close, eof, length) decide what it means */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (cfg->tls_ca_file[0]) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_file, NULL) != 1) {
			char why[128];

			ssl_reason(why, sizeof(why));
			err_set(e, "cannot read the CA certificate %s: %s", cfg->tls_ca_file, why);
			SSL_CTX_free(ctx);
			return -1;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (cfg->tls_resume) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	}
	sh->ssl_ctx = ctx;
	return 0;
}

void lg_tls_free(struct shared *sh)
{
	SSL_CTX_free(sh->ssl_ctx);
	sh->ssl_ctx = NULL;
}

int lg_tls_start(struct lg_thread *t, struct conn *c)
{
	const struct lg_config *cfg = t->sh->cfg;
	SSL *ssl = SSL_new(t->sh->ssl_ctx);

	if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return -1;
	}
	SSL_set_app_data(ssl, c);
	if (cfg->tls_sni[0])
		SSL_set_tlsext_host_name(ssl, cfg->tls_sni);
	if (cfg->tls_ca_file[0])
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), cfg->host);
	if (c->sess)
		SSL_set_session(ssl, c->sess);
	SSL_set_connect_state(ssl);
	c->ssl = ssl;
	return 0;
}

/* errno for an OpenSSL error: 0 done, or EAGAIN, ECONNRESET... with
 * EPROTO (and why) for a TLS error; ret 0 with no error is the peer's close. */
static int ssl_errno(SSL *ssl, int ret, char *why, size_t n)
{
	int err = SSL_get_error(ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? errno : EPIPE;
	default:
		if (why)
			ssl_reason(why, n);
		else
			ERR_clear_error();
		return EPROTO;
	}
}

int lg_tls_handshake(struct lg_thread *t, struct conn *c, char *why, size_t n)
{
	int ret = SSL_do_handshake(c->ssl), err;

	if (ret == 1)
		return 0;
	if (ret == 0 && SSL_get_error(c->ssl, ret) != SSL_ERROR_SSL) {
		ERR_clear_error();
		return EPIPE; /* the server closed in the middle of the handshake */
	}
	err = ssl_errno(c->ssl, ret, why, n);
	return err ? err : EPIPE; /* a close_notify (or an EOF) before the handshake's end */
}

/* The handshake is done: count it, full or resumed, and how long it took. */
void lg_tls_done(struct lg_thread *t, struct conn *c, uint64_t now)
{
	struct lg_result *r = &t->r;

	r->tls_handshakes++;
	if (SSL_session_reused(c->ssl))
		r->tls_resumed++;
	else
		r->tls_full++;
	hdr_record(t->hs, (now - c->t_attempt) / NSEC_PER_USEC);
	if (!r->tls_protocol[0]) {
		const char *cipher = SSL_get_cipher_name(c->ssl);

		snprintf(r->tls_protocol, sizeof(r->tls_protocol), "%s", SSL_get_version(c->ssl));
		snprintf(r->tls_cipher, sizeof(r->tls_cipher), "%s", cipher ? cipher : "");
	}
}

ssize_t lg_tls_read(struct conn *c, void *buf, size_t len)
{
	int ret = SSL_read(c->ssl, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
	int err;

	if (ret > 0)
		return ret;
	err = ssl_errno(c->ssl, ret, NULL, 0);
	if (!err)
		return 0;
	errno = err;
	return -1;
}

ssize_t lg_tls_write(struct conn *c, const void *buf, size_t len)
{
	int ret = SSL_write(c->ssl, buf, (int)len);
	int err;

	if (ret > 0)
		return ret;
	err = ssl_errno(c->ssl, ret, NULL, 0);
	errno = err ? err : EPIPE;
	return -1;
}

void lg_tls_close(struct lg_thread *t, struct conn *c, bool drain)
{
	SSL *ssl = c->ssl;

	if (!ssl)
		return;
	/* A server that closes behind its response sends a close_notify with
	 * it: read it, or the socket's close with unread bytes is a reset
	 * where plain HTTP's is a FIN. (Apache answers a client's FIN with a
	 * close_notify too; that one comes too late and is reset anyway.) */
	if (drain) {
		char b[64];

		(void)SSL_read(ssl, b, sizeof(b));
	}
	/* No close_notify: the socket's close (a FIN) says it, as ab's does.
	 * Apache answers a close_notify with its own, which would reach a
	 * socket already closed and draw a reset from the client's kernel:
	 * the kernel's view of who closed would differ from plain HTTP's.
	 * The session stays resumable: OpenSSL drops the session of an SSL
	 * freed without a shutdown marked (SSL_free -> ssl_clear_bad_session),
	 * and that session is the slot's own. A failed connection forgets it. */
	SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	t->r.tls_bytes_in += BIO_number_read(SSL_get_rbio(ssl));
	t->r.tls_bytes_out += BIO_number_written(SSL_get_wbio(ssl));
	SSL_free(ssl);
	ERR_clear_error();
	c->ssl = NULL;
}

void lg_tls_forget(struct conn *c)
{
	if (c->sess)
		SSL_SESSION_free(c->sess);
	c->sess = NULL;
}
