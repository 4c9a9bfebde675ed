openssl s_client -connect 127.0.0.1:$PORT -servername api.openai.com -alpn h2,http/1.1 -tls1_3
