node -e "require('tls').connect({host:'127.0.0.1',port:$PORT,servername:'api.openai.com',ALPNProtocols:['h2','http/1.1'],rejectUnauthorized:false}).on('error',()=>{})"
