console.log(require('tiny-lib')());
