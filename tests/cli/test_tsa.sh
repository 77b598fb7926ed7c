# Sourced by command-line tests: a local RFC 3161 timestamp authority made with the `openssl`
# command (a CA, a TSA certificate it issues, and the `openssl ts` configuration), no network.
#   make_tsa DIR NAME     creates DIR/NAME-ca.pem (the CA certificate), DIR/NAME-tsa.pem and DIR/NAME.cnf
#   tsa_reply DIR NAME REQUEST REPLY   answers a request as that TSA
make_tsa() {
  local dir=$1 name=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$name test CA" \
    -keyout "$dir/$name-ca.key" -out "$dir/$name-ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name test TSA" \
    -keyout "$dir/$name-tsa.key" -out "$dir/$name-tsa.csr" 2>/dev/null
  printf 'extendedKeyUsage = critical, timeStamping\nkeyUsage = critical, digitalSignature\n' >"$dir/$name-ext.cnf"
  openssl x509 -req -in "$dir/$name-tsa.csr" -CA "$dir/$name-ca.pem" -CAkey "$dir/$name-ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/$name-ext.cnf" -out "$dir/$name-tsa.pem" 2>/dev/null
  cat >"$dir/$name.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = $dir
serial = $dir/$name-serial
signer_cert = $dir/$name-tsa.pem
signer_key = $dir/$name-tsa.key
certs = $dir/$name-tsa.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:0, millisecs:1
clock_precision_digits = 6
ordering = yes
tsa_name = yes
ess_cert_id_alg = sha256
CNF
  echo 01 >"$dir/$name-serial"
}

tsa_reply() {
  local dir=$1 name=$2 request=$3 reply=$4
  openssl ts -reply -config "$dir/$name.cnf" -queryfile "$request" -out "$reply" 2>"$dir/$name-reply.log"
}
