// Sign-in security: show a passkey in the list as soon as it is registered (CSP: no inline script).
document.addEventListener("otp_webauthn.register_complete", () => window.location.reload());
