# The reference event times of events.json, beside it.
#
# Origin: a verbatim copy of /work/shared/reference/make_events.py, the
# project's public reference script (only this header is added), kept in the
# repository so that a clean clone holds the script next to the data it
# writes. events.json here is a byte-identical copy of
# /work/shared/reference/events.json, sha256
# 8fad98e7f25fedee86e25a7649ae2b9439ff0e29a862c3a4b92dad683c849baf
# (`sha256sum events.json`); the spice tests read this copy.
#
# Regenerate (numpy and scipy; writes events.json beside this script):
#     /work/pyref/bin/python make_events.py
#
import numpy as np, json
from scipy.integrate import solve_ivp
def crossings(f,y0,T,thr,idx=0,hyst=0.5,max_step=np.inf):
    sol=solve_ivp(f,(0,T),y0,method='Radau',rtol=1e-12,atol=1e-13,dense_output=True,max_step=max_step)
    t=np.linspace(0,T,2000001); v=sol.sol(t)[idx]; ev=[]; armed=v[0]<thr
    for i in range(len(v)-1):
        if armed and v[i]<thr<=v[i+1]:
            a,b=t[i],t[i+1]
            for _ in range(60):
                m=(a+b)/2
                if sol.sol(m)[idx]<thr: a=m
                else: b=m
            ev.append(round((a+b)/2,9)); armed=False
        if not armed and v[i+1]<thr-hyst: armed=True
    return ev
out={}
out['fitzhugh_nagumo']=dict(
 equations='C dv/dt = -(v^3/3 - v) - iL + I ; L diL/dt = v + E - R iL',
 params=dict(C=1,L=12.5,R=0.8,E=0.7,I=0.5), initial=dict(v=-1.0,iL=1.0), tstop=400,
 event=dict(signal='v',threshold=1.0,hysteresis=0.5,direction='rising'),
 events=crossings(lambda t,y:[y[0]-y[0]**3/3-y[1]+0.5,(y[0]+0.7-0.8*y[1])/12.5],[-1.0,1.0],400,1.0))
out['tanh_spiker']=dict(
 equations='C dv/dt = I - v - af*tanh(v - df) - as*tanh(xs - ds) ; ts dxs/dt = v - xs (fast element instantaneous)',
 params=dict(C=1,I=-0.7,af=-2,df=0,as_=2,ds=0,ts=20), initial=dict(v=0,xs=0), tstop=200,
 event=dict(signal='v',threshold=0.0,hysteresis=0.5,direction='rising'),
 events=crossings(lambda t,y:[-0.7-y[0]+2*np.tanh(y[0])-2*np.tanh(y[1]),(y[0]-y[1])/20],[0,0],200,0.0))
gna,gk,gl,ena,ek,el=120,36,0.3,50,-77,-54.387
an=lambda x:0.01*(x+55)/(1-np.exp(-(x+55)/10)); bn=lambda x:0.125*np.exp(-(x+65)/80)
am=lambda x:0.1*(x+40)/(1-np.exp(-(x+40)/10)); bm=lambda x:4*np.exp(-(x+65)/18)
ah=lambda x:0.07*np.exp(-(x+65)/20); bh=lambda x:1/(1+np.exp(-(x+35)/10))
def hh(t,y):
    v,m,h,n=y
    return [-gna*m**3*h*(v-ena)-gk*n**4*(v-ek)-gl*(v-el)+10, am(v)*(1-m)-bm(v)*m, ah(v)*(1-h)-bh(v)*h, an(v)*(1-n)-bn(v)*n]
# start from rest at I=0
from scipy.optimize import fsolve
def hh0(y):
    v,m,h,n=y
    return [-gna*m**3*h*(v-ena)-gk*n**4*(v-ek)-gl*(v-el), am(v)*(1-m)-bm(v)*m, ah(v)*(1-h)-bh(v)*h, an(v)*(1-n)-bn(v)*n]
y0=fsolve(hh0,[-65,0.05,0.6,0.32],xtol=1e-14)
out['hodgkin_huxley']=dict(
 equations='Cm dv/dt = -gNa m^3 h (v-ENa) - gK n^4 (v-EK) - gL (v-EL) + I; standard 6.3 C rate functions (mV, ms, uA/cm2)',
 params=dict(Cm=1,gNa=120,gK=36,gL=0.3,ENa=50,EK=-77,EL=-54.387,I=10), initial=dict(zip(['v','m','h','n'],map(float,y0))), tstop=100,
 event=dict(signal='v',threshold=0.0,hysteresis=10,direction='rising'),
 events=crossings(hh,list(y0),100,0.0,hyst=10,max_step=0.01))
for k,v in out.items(): print(k, v['events'][:4], len(v['events']))
out['_about']='Event times computed with scipy solve_ivp Radau, rtol 1e-12, crossings located by bisection on the dense output. Regenerate with the script beside this file.'
import os
json.dump(out,open(os.path.join(os.path.dirname(os.path.abspath(__file__)),'events.json'),'w'),indent=1)
