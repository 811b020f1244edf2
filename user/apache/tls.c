// SPDX-License-Identifier: MIT
/*
 * TLS for the private Apache (a scenario's `tls = on`): a key and a
 * self-signed certificate made for the run with the OpenSSL API, in the
 * runtime directory and removed with it, and the readiness probe's TLS.
 *
 *   tls/         0700
 *   tls/key.pem  EC P-256 private key, 0600 (read by httpd's parent, root)
 *   tls/cert.pem self-signed, CN and subjectAltName the listen address (and
 *                DNS:localhost), valid one day: what the load generator pins
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "apache/apache.h"
#include "apache/internal.h"
#include "base/util.h"

/* A PEM file of mode 0600, written whole or not at all (O_EXCL: never a
 * file that was there before). */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, struct errbuf *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (!f) {
		err_set(e, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
	if (fclose(f) != 0 || ok != 1) {
		err_set(e, "cannot write %s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* The run's self-signed certificate for a->addr. */
static X509 *make_cert(const struct apache *a, EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;
	unsigned char serial[8];
	char san[160];
	BIGNUM *bn = NULL;
	bool ok;

	if (!cert)
		return NULL;
	snprintf(san, sizeof(san), "IP:%s,DNS:localhost", a->addr);
	ok = X509_set_version(cert, 2) && RAND_bytes(serial, sizeof(serial)) == 1 &&
	     (bn = BN_bin2bn(serial, sizeof(serial), NULL)) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) &&
	     X509_gmtime_adj(X509_getm_notBefore(cert), -300) && X509_gmtime_adj(X509_getm_notAfter(cert), 86400) &&
	     X509_set_pubkey(cert, key) && (name = X509_get_subject_name(cert)) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mpmscope run", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)a->addr, -1, -1, 0) &&
	     X509_set_issuer_name(cert, name) && add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") &&
	     add_ext(cert, NID_subject_alt_name, san) && X509_sign(cert, key, EVP_sha256()) > 0;
	BN_free(bn);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

int apache_tls_prepare(struct apache *a, struct errbuf *e)
{
	char dir[320];
	EVP_PKEY *key;
	X509 *cert = NULL;
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/tls", a->rundir);
	if (mkdir(dir, 0700) < 0) {
		err_set(e, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(a->tls_key, sizeof(a->tls_key), "%.256s/tls/key.pem", a->rundir);
	snprintf(a->tls_cert, sizeof(a->tls_cert), "%.256s/tls/cert.pem", a->rundir);
	snprintf(a->tls_log, sizeof(a->tls_log), "%.256s/logs/tls.log", a->rundir);
	key = EVP_EC_gen("P-256");
	if (key)
		cert = make_cert(a, key);
	if (!key || !cert) {
		unsigned long err = ERR_get_error();

		err_set(e, "cannot make the run's TLS certificate: %s",
			err ? ERR_reason_error_string(err) : "OpenSSL failed");
	} else if (!write_pem(a->tls_key, key, NULL, e) && !write_pem(a->tls_cert, NULL, cert, e)) {
		rc = 0;
	}
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* Wait for fd to be ready as OpenSSL asked, until deadline (now_s() time). */
static bool tls_wait(SSL *ssl, int fd, int ret, double deadline)
{
	int err = SSL_get_error(ssl, ret);
	struct pollfd pf = { fd, err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0 };
	double left = deadline - now_s();

	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		return false;
	return left > 0 && poll(&pf, 1, (int)(left * 1000) + 1) > 0;
}

ssize_t apache_tls_exchange(int fd, const char *req, size_t len, char *buf, size_t size,
			    double deadline)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	ssize_t got = -1;
	int ret;

	if (!ssl || SSL_set_fd(ssl, fd) != 1)
		goto out;
	/* the probe only asks whether the server answers: the load pins the certificate */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	while ((ret = SSL_connect(ssl)) != 1)
		if (!tls_wait(ssl, fd, ret, deadline))
			goto out;
	while ((ret = SSL_write(ssl, req, (int)len)) <= 0)
		if (!tls_wait(ssl, fd, ret, deadline))
			goto out;
	got = 0;
	while ((size_t)got < size) {
		ret = SSL_read(ssl, buf + got, (int)(size - (size_t)got));
		if (ret > 0)
			got += ret;
		else if (!tls_wait(ssl, fd, ret, deadline))
			break;
		if (got >= 12)
			break;
	}
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return got;
}
