openssl s_client -connect 127.0.0.1:$PORT -noservername
