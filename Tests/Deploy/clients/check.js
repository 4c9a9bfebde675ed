// A Node client for the deployment tests: GET the URL with the https module's default trust
// (plus NODE_EXTRA_CA_CERTS when the environment sets it). Prints "OK <status>", or
// "ERR <error code> <message>" and exits 2 when the request fails.
const https = require("https");

const req = https.get(process.argv[2], { timeout: 5000 }, (res) => {
    console.log(`OK ${res.statusCode}`);
    res.resume();
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", (err) => {
    console.log(`ERR ${err.code} ${err.message}`);
    process.exit(2);
});
