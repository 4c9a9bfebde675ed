curl -sk --http2 --resolve api.openai.com:$PORT:127.0.0.1 https://api.openai.com:$PORT/
