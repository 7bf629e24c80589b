#include "connect_failure.h"

// uv.h first: on Windows it brings wincrypt.h, whose X509_NAME macros OpenSSL's headers undo.
#include <uv.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <cstring>

namespace netstack {
namespace {

// The name of an X509 verification error, as OpenSSL's X509_V_ERR_* constant without its
// prefix (the `code` Node's tls gives its certificate errors).
const char* CertificateErrorName(long error) {
  switch (error) {
#define NETSTACK_X509_ERROR(name) \
  case X509_V_ERR_##name:         \
    return #name;
    NETSTACK_X509_ERROR(UNABLE_TO_GET_ISSUER_CERT)
    NETSTACK_X509_ERROR(UNABLE_TO_GET_CRL)
    NETSTACK_X509_ERROR(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    NETSTACK_X509_ERROR(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    NETSTACK_X509_ERROR(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    NETSTACK_X509_ERROR(CERT_SIGNATURE_FAILURE)
    NETSTACK_X509_ERROR(CRL_SIGNATURE_FAILURE)
    NETSTACK_X509_ERROR(CERT_NOT_YET_VALID)
    NETSTACK_X509_ERROR(CERT_HAS_EXPIRED)
    NETSTACK_X509_ERROR(CRL_NOT_YET_VALID)
    NETSTACK_X509_ERROR(CRL_HAS_EXPIRED)
    NETSTACK_X509_ERROR(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    NETSTACK_X509_ERROR(ERROR_IN_CERT_NOT_AFTER_FIELD)
    NETSTACK_X509_ERROR(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    NETSTACK_X509_ERROR(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    NETSTACK_X509_ERROR(OUT_OF_MEM)
    NETSTACK_X509_ERROR(DEPTH_ZERO_SELF_SIGNED_CERT)
    NETSTACK_X509_ERROR(SELF_SIGNED_CERT_IN_CHAIN)
    NETSTACK_X509_ERROR(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    NETSTACK_X509_ERROR(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    NETSTACK_X509_ERROR(CERT_CHAIN_TOO_LONG)
    NETSTACK_X509_ERROR(CERT_REVOKED)
    NETSTACK_X509_ERROR(INVALID_CA)
    NETSTACK_X509_ERROR(PATH_LENGTH_EXCEEDED)
    NETSTACK_X509_ERROR(INVALID_PURPOSE)
    NETSTACK_X509_ERROR(CERT_UNTRUSTED)
    NETSTACK_X509_ERROR(CERT_REJECTED)
    NETSTACK_X509_ERROR(KEYUSAGE_NO_CERTSIGN)
    NETSTACK_X509_ERROR(UNHANDLED_CRITICAL_EXTENSION)
    NETSTACK_X509_ERROR(EE_KEY_TOO_SMALL)
    NETSTACK_X509_ERROR(CA_KEY_TOO_SMALL)
    NETSTACK_X509_ERROR(CA_MD_TOO_WEAK)
#undef NETSTACK_X509_ERROR
    default:
      return "UNSPECIFIED";
  }
}

std::string Upper(const char* text) {
  std::string out;
  for (const char* c = text; *c; ++c) {
    char ch = *c;
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) ch = '_';
    out += ch;
  }
  return out;
}

// "DNS:a.example, IP Address:127.0.0.1" (the form of Node's `subjectaltname`), and the IP
// addresses alone.
void SubjectAltNames(X509* cert, std::string* all, std::string* ips) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    std::string entry;
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      entry = "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                   static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[64] = {0};
      int length = ASN1_STRING_length(ip);
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
      if (!family || uv_inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text) != 0) continue;
      entry = std::string("IP Address:") + text;
      *ips += (ips->empty() ? "" : ", ") + std::string(text);
    } else {
      continue;
    }
    *all += (all->empty() ? "" : ", ") + entry;
  }
  GENERAL_NAMES_free(names);
}

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
  if (index < 0) return std::string();
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

bool IsIpAddress(const std::string& name) {
  unsigned char buffer[16];
  return uv_inet_pton(AF_INET, name.c_str(), buffer) == 0 || uv_inet_pton(AF_INET6, name.c_str(), buffer) == 0;
}

// "127.0.0.1 port 8080", or the socket's path.
std::string Peer(const ConnectFailure& failure) {
  if (failure.address.empty()) return "the server";
  if (failure.port == 0) return "the socket " + failure.address;
  return failure.address + " port " + std::to_string(failure.port);
}

std::string WithCode(const std::string& words, const std::string& code) {
  return code.empty() ? words : words + " (" + code + ")";
}

}  // namespace

void SetSystemError(ConnectFailure* failure, int sys_errno, const char* syscall) {
  int uv_code = uv_translate_sys_error(sys_errno);
  failure->error_number = uv_code;
  failure->code = uv_err_name(uv_code);
  failure->reason = uv_strerror(uv_code);
  failure->syscall = syscall;
}

void SetLookupError(ConnectFailure* failure, int uv_status, const std::string& host) {
  failure->step = ConnectFailure::Step::kResolve;
  failure->syscall = "getaddrinfo";
  failure->address = host;
  failure->port = 0;
  if (uv_status == 0 || uv_status == UV_EAI_NONAME || uv_status == UV_EAI_NODATA) {
    failure->error_number = uv_status == 0 ? UV_EAI_NONAME : uv_status;
    failure->code = "ENOTFOUND";
    failure->reason = uv_status == 0 ? "no address" : uv_strerror(uv_status);
  } else {
    failure->error_number = uv_status;
    failure->code = uv_err_name(uv_status);
    failure->reason = uv_strerror(uv_status);
  }
}

void SetCertificateError(ConnectFailure* failure, X509_STORE_CTX* ctx, const std::string& checked_name) {
  int error = X509_STORE_CTX_get_error(ctx);
  failure->step = ConnectFailure::Step::kTls;
  failure->error_number = 0;
  failure->syscall.clear();
  if (error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    // Node checks the name itself and reports it in these words; so do we.
    failure->code = "ERR_TLS_CERT_ALTNAME_INVALID";
    failure->host = checked_name;
    std::string names;
    std::string ips;
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    if (cert) SubjectAltNames(cert, &names, &ips);
    if (IsIpAddress(checked_name)) {
      failure->reason = "IP: " + checked_name + " is not in the cert's list: " + ips;
    } else if (!names.empty() || !cert) {
      failure->reason = "Host: " + checked_name + ". is not in the cert's altnames: " + names;
    } else {
      failure->reason = "Host: " + checked_name + ". is not cert's CN: " + CommonName(cert);
    }
    return;
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
      (!chain || sk_X509_num(chain) <= 1)) {
    // A lone certificate of an unknown issuer. Verification stops at its first error here;
    // OpenSSL would go on to report the leaf's signature as unverifiable, and Node's tls,
    // which lets it go on, reports that last verdict: use the same.
    error = X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
  }
  failure->code = CertificateErrorName(error);
  failure->reason = X509_verify_cert_error_string(error);
}

void SetTlsError(ConnectFailure* failure, const std::string& lws_text) {
  failure->step = ConnectFailure::Step::kTls;
  // lws: "connect SYSCALL <errno>" when the socket failed or closed under SSL_connect.
  if (lws_text.rfind("connect SYSCALL", 0) == 0) {
    int sys_errno = std::atoi(lws_text.c_str() + sizeof "connect SYSCALL");
    if (sys_errno != 0) {
      SetSystemError(failure, sys_errno, "read");
      if (failure->code == "ECONNRESET") return;
    }
    SetClosedByServer(failure);
    return;
  }
  // "tls: error:0A00010B:SSL routines::wrong version number": OpenSSL's packed error code.
  size_t at = lws_text.find("error:");
  if (at != std::string::npos) {
    unsigned long code = std::strtoul(lws_text.c_str() + at + 6, nullptr, 16);
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    if (reason) {
      // Node's names: ERR_SSL_<REASON> for the SSL library's errors, ERR_OSSL_<REASON> else.
      failure->code = (ERR_GET_LIB(code) == ERR_LIB_SSL ? "ERR_SSL_" : "ERR_OSSL_") + Upper(reason);
      failure->reason = reason;
      return;
    }
  }
  failure->code.clear();
  failure->reason = lws_text;
}

void SetTimedOut(ConnectFailure* failure, uint32_t timeout_ms) {
  failure->timeout_ms = timeout_ms;
  failure->code = uv_err_name(UV_ETIMEDOUT);
  failure->reason = uv_strerror(UV_ETIMEDOUT);
  // Only a connect still under way is a system call that timed out.
  const bool connecting = failure->step == ConnectFailure::Step::kConnect;
  failure->error_number = connecting ? UV_ETIMEDOUT : 0;
  failure->syscall = connecting ? "connect" : "";
}

void SetClosedByServer(ConnectFailure* failure) {
  failure->code = "ECONNRESET";
  failure->error_number = 0;  // no system call failed: the peer closed (Node: "socket hang up")
  failure->syscall.clear();
  failure->reason = "socket hang up";
}

std::string DescribeConnectFailure(const ConnectFailure& failure) {
  using Step = ConnectFailure::Step;
  if (failure.abandoned) return "closed by the caller before the connection was established";
  if (failure.timeout_ms != 0) {
    std::string limit = "timed out after " + std::to_string(failure.timeout_ms) + " ms ";
    switch (failure.step) {
      case Step::kResolve: return WithCode(limit + "looking up the host name " + failure.address, failure.code);
      case Step::kConnect: return WithCode(limit + "waiting for the connection to " + Peer(failure), failure.code);
      case Step::kTls: return WithCode(limit + "in the TLS handshake", failure.code);
      case Step::kHandshake:
        return WithCode(limit + "waiting for the server's answer to the WebSocket handshake", failure.code);
      case Step::kSetup: break;
    }
    return WithCode(limit + "before the connection was established", failure.code);
  }
  const std::string& code = failure.code;
  switch (failure.step) {
    case Step::kResolve:
      if (code == "ENOTFOUND") return WithCode("the host name " + failure.address + " was not found", code);
      if (code == "EAI_AGAIN") {
        return WithCode("the host name " + failure.address + " could not be looked up now (temporary failure)", code);
      }
      return WithCode("looking up the host name " + failure.address + " failed: " + failure.reason, code);
    case Step::kConnect:
      if (code == "ECONNREFUSED") return WithCode("the connection to " + Peer(failure) + " was refused", code);
      if (code == "ECONNRESET") return WithCode("the connection to " + Peer(failure) + " was reset", code);
      if (code == "ETIMEDOUT") return WithCode("connecting to " + Peer(failure) + " timed out", code);
      if (code == "ENOENT" && failure.port == 0) return WithCode("the socket " + failure.address + " does not exist", code);
      if (!code.empty()) return WithCode("connecting to " + Peer(failure) + " failed: " + failure.reason, code);
      break;
    case Step::kTls:
      if (code == "ECONNRESET") return WithCode("the server closed the connection during the TLS handshake", code);
      if (code == "ERR_TLS_CERT_ALTNAME_INVALID") {
        std::string reason = failure.reason;
        while (!reason.empty() && (reason.back() == ' ' || reason.back() == ':')) reason.pop_back();  // "...list: " with no IP
        return WithCode("the server's certificate is not valid for " + failure.host + ": " + reason, code);
      }
      if (code.rfind("ERR_SSL_", 0) == 0 || code.rfind("ERR_OSSL_", 0) == 0) {
        return WithCode("the TLS handshake failed: " + failure.reason, code);
      }
      if (!code.empty()) return WithCode("the server's certificate was refused: " + failure.reason, code);
      break;
    case Step::kHandshake:
      if (code == "ECONNRESET") {
        return WithCode("the server closed the connection before answering the WebSocket handshake", code);
      }
      break;
    case Step::kSetup:
      break;
  }
  return failure.reason.empty() ? "the connection failed" : failure.reason;
}

}  // namespace netstack
