// nullmark keygen / sign: an owner's Ed25519 key pair, and a signed watermark claim.
#include <cstdio>

#include "common/files.h"
#include "experiments/commands/commands.h"
#include "watermark/claim.h"
#include "watermark/keys.h"

namespace nullmark::commands {

int keygen(const KeygenArgs& a) {
  const KeyPair k = generate_keypair();
  save_keypair(k, a.out);
  std::printf("wrote %s.key (secret, mode 0600: keep it private) and %s.pub (public key %s)\n", a.out.c_str(),
              a.out.c_str(), hex(k.public_key).c_str());
  return 0;
}

int sign(const SignArgs& a) {
  check_output_path(a.out, a.force, "--out");
  const KeyPair k = load_secret_key(a.key);
  const Claim c = make_claim(k, a.verifier, a.n, a.lambda, a.space, a.input, a.classes);
  save_claim(c, a.out);
  std::printf(
      "wrote claim %s (%s): verifier \"%s\", n %d, lambda %.9g (%s space), for %dx%dx%d inputs and %d classes, "
      "public key %s\n",
      a.out.c_str(), c.binding().c_str(), c.verifier.c_str(), c.n, c.lambda, c.space.c_str(), c.input[0], c.input[1],
      c.input[2], c.classes, hex(c.public_key).c_str());
  return 0;
}

}  // namespace nullmark::commands
