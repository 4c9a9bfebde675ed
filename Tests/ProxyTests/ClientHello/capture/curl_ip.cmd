curl -sk --http2 https://127.0.0.1:$PORT/
