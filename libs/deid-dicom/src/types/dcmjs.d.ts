// dcmjs ships no type declarations; Harbour uses it only in tests to prove outputs parse.
declare module 'dcmjs';
