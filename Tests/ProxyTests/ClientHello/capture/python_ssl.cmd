python3 -c "import socket,ssl; c=ssl.create_default_context(); c.set_alpn_protocols(['h2','http/1.1']); c.wrap_socket(socket.create_connection(('127.0.0.1',$PORT)), server_hostname='api.openai.com')"
