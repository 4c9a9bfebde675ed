java JavaHello.java $PORT
