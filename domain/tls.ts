/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for load balancer listeners, public or internal. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
