"""Independent reference decoder for captured ClientHellos (prints SNI, ALPN, versions, extension types)."""
import glob, sys
def parse(b):
    i=0; hs=b""
    while i<len(b):
        n=int.from_bytes(b[i+3:i+5],"big"); hs+=b[i+5:i+5+n]; i+=5+n
    assert hs[0]==1; L=int.from_bytes(hs[1:4],"big"); body=hs[4:4+L]; assert len(body)==L
    p=0; ver=body[0:2].hex(); p=2+32; sl=body[p]; p+=1+sl
    cl=int.from_bytes(body[p:p+2],"big"); p+=2+cl; ml=body[p]; p+=1+ml
    el=int.from_bytes(body[p:p+2],"big"); p+=2; assert p+el==L
    out={"legacy":ver,"sni":None,"alpn":[],"sv":[],"ech":False,"exts":[]}
    while p<L:
        t=int.from_bytes(body[p:p+2],"big"); n=int.from_bytes(body[p+2:p+4],"big"); d=body[p+4:p+4+n]; p+=4+n
        out["exts"].append(hex(t))
        if t==0: out["sni"]=d[5:].decode()
        if t==16:
            q=2; names=[]
            while q<len(d): names.append(d[q+1:q+1+d[q]].decode()); q+=1+d[q]
            out["alpn"]=names
        if t==0x2b: out["sv"]=[d[1+k:3+k].hex() for k in range(0,d[0],2)]
        if t==0xfe0d: out["ech"]=True
    return out
if __name__ == "__main__":
  for f in sorted(glob.glob("*.hex")):
    print(f, parse(bytes.fromhex(open(f).read())))
