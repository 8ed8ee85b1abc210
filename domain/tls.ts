/**
 * TLS 1.3 with TLS 1.2 fallback (restricted to AEAD ciphers with forward
 * secrecy) and hybrid post-quantum key exchange for the clients that offer it:
 * what AWS recommends since September 2025 for load balancer listeners,
 * Application and Network, public or internal.
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

/** The default action of a plain-HTTP listener in front of HTTPS: a permanent redirect to the same URL on 443. */
export const HTTPS_REDIRECT = {
    type: "redirect",
    redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
} as const;
