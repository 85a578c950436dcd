"""schemathesis hooks for .ci/schemathesis-fpasted (loaded through SCHEMATHESIS_HOOKS).

`POST /csr` takes a PEM CSR as `application/x-pem-file`, a text type schemathesis has no
serializer for; it goes on the wire as text, like `text/plain`.
"""

import schemathesis

schemathesis.serializer.alias("application/x-pem-file", "text/plain")
