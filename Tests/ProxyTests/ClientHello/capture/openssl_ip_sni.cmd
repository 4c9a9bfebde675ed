openssl s_client -connect 127.0.0.1:$PORT -servername 127.0.0.1 -tls1_3
