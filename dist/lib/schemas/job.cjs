"use strict";
var __getOwnPropNames = Object.getOwnPropertyNames;
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};

// node_modules/ajv/dist/runtime/ucs2length.js
var require_ucs2length = __commonJS({
  "node_modules/ajv/dist/runtime/ucs2length.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    function ucs2length(str) {
      const len = str.length;
      let length = 0;
      let pos = 0;
      let value;
      while (pos < len) {
        length++;
        value = str.charCodeAt(pos++);
        if (value >= 55296 && value <= 56319 && pos < len) {
          value = str.charCodeAt(pos);
          if ((value & 64512) === 56320)
            pos++;
        }
      }
      return length;
    }
    exports2.default = ucs2length;
    ucs2length.code = 'require("ajv/dist/runtime/ucs2length").default';
  }
});

// build/schemas/job.unbundled.cjs
exports.job = validate10;
var schema11 = { "$id": "https://burrow.dev/schemas/job.schema.json", "title": "burrow job file (burrow job run FILE): a container job with its steps and service containers, spelt after GitHub Actions' container jobs and docker compose", "type": "object", "required": ["image", "steps"], "additionalProperties": false, "properties": { "name": { "$ref": "#/definitions/name" }, "image": { "$ref": "#/definitions/image" }, "env": { "$ref": "#/definitions/env" }, "volumes": { "type": "array", "items": { "type": "string", "minLength": 1 } }, "workspace": { "type": "string", "minLength": 1 }, "user": { "type": ["string", "integer"] }, "memory": { "type": ["string", "integer"] }, "cpus": { "type": ["string", "number"] }, "pids-limit": { "type": "integer" }, "network": { "$ref": "#/definitions/name" }, "services": { "type": "object", "propertyNames": { "$ref": "#/definitions/name" }, "additionalProperties": { "$ref": "#/definitions/service" } }, "steps": { "type": "array", "minItems": 1, "items": { "$ref": "#/definitions/step" } } }, "definitions": { "name": { "type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", "maxLength": 63 }, "image": { "type": "string", "minLength": 1 }, "env": { "type": "object", "propertyNames": { "type": "string", "pattern": "^[^=]+$" }, "additionalProperties": { "type": ["string", "number", "boolean"] } }, "duration": { "description": "seconds, or a duration such as 90s, 1m30s, 500ms (checked by src/job/load.ts)", "type": ["number", "string"] }, "argv": { "type": "array", "minItems": 1, "items": { "type": "string" } }, "step": { "type": "object", "additionalProperties": false, "properties": { "name": { "type": "string" }, "run": { "type": "string" }, "command": { "$ref": "#/definitions/argv" }, "env": { "$ref": "#/definitions/env" }, "working-directory": { "type": "string", "minLength": 1 }, "continue-on-error": { "type": "boolean" }, "timeout": { "$ref": "#/definitions/duration" } } }, "healthcheck": { "type": "object", "additionalProperties": false, "properties": { "test": { "description": `a shell command (CMD-SHELL), or Docker's form: ["CMD", argv...], ["CMD-SHELL", script] or ["NONE"]`, "type": ["string", "array"], "items": { "type": "string" } }, "interval": { "$ref": "#/definitions/duration" }, "timeout": { "$ref": "#/definitions/duration" }, "retries": { "type": "integer", "minimum": 0 }, "start-period": { "$ref": "#/definitions/duration" }, "disable": { "type": "boolean" } } }, "service": { "type": "object", "required": ["image"], "additionalProperties": false, "properties": { "image": { "$ref": "#/definitions/image" }, "env": { "$ref": "#/definitions/env" }, "ports": { "type": "array", "items": { "type": ["string", "integer"] } }, "command": { "$ref": "#/definitions/argv" }, "entrypoint": { "type": "array", "items": { "type": "string" } }, "replicas": { "type": "integer", "minimum": 1, "maximum": 32 }, "user": { "type": ["string", "integer"] }, "volumes": { "type": "array", "items": { "type": "string", "minLength": 1 } }, "healthcheck": { "$ref": "#/definitions/healthcheck" } } } } };
var schema14 = { "type": "object", "propertyNames": { "type": "string", "pattern": "^[^=]+$" }, "additionalProperties": { "type": ["string", "number", "boolean"] } };
var func2 = Object.prototype.hasOwnProperty;
var func3 = require_ucs2length().default;
var pattern0 = new RegExp("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", "u");
var pattern1 = new RegExp("^[^=]+$", "u");
var schema17 = { "type": "object", "required": ["image"], "additionalProperties": false, "properties": { "image": { "$ref": "#/definitions/image" }, "env": { "$ref": "#/definitions/env" }, "ports": { "type": "array", "items": { "type": ["string", "integer"] } }, "command": { "$ref": "#/definitions/argv" }, "entrypoint": { "type": "array", "items": { "type": "string" } }, "replicas": { "type": "integer", "minimum": 1, "maximum": 32 }, "user": { "type": ["string", "integer"] }, "volumes": { "type": "array", "items": { "type": "string", "minLength": 1 } }, "healthcheck": { "$ref": "#/definitions/healthcheck" } } };
var schema21 = { "type": "object", "additionalProperties": false, "properties": { "test": { "description": `a shell command (CMD-SHELL), or Docker's form: ["CMD", argv...], ["CMD-SHELL", script] or ["NONE"]`, "type": ["string", "array"], "items": { "type": "string" } }, "interval": { "$ref": "#/definitions/duration" }, "timeout": { "$ref": "#/definitions/duration" }, "retries": { "type": "integer", "minimum": 0 }, "start-period": { "$ref": "#/definitions/duration" }, "disable": { "type": "boolean" } } };
var schema22 = { "description": "seconds, or a duration such as 90s, 1m30s, 500ms (checked by src/job/load.ts)", "type": ["number", "string"] };
function validate12(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      const _errs1 = errors;
      for (const key0 in data) {
        if (!(key0 === "test" || key0 === "interval" || key0 === "timeout" || key0 === "retries" || key0 === "start-period" || key0 === "disable")) {
          validate12.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
          return false;
          break;
        }
      }
      if (_errs1 === errors) {
        if (data.test !== void 0) {
          let data0 = data.test;
          const _errs2 = errors;
          if (typeof data0 !== "string" && !Array.isArray(data0)) {
            validate12.errors = [{ instancePath: instancePath + "/test", schemaPath: "#/properties/test/type", keyword: "type", params: { type: schema21.properties.test.type }, message: "must be string,array" }];
            return false;
          }
          if (errors === _errs2) {
            if (Array.isArray(data0)) {
              var valid1 = true;
              const len0 = data0.length;
              for (let i0 = 0; i0 < len0; i0++) {
                const _errs4 = errors;
                if (typeof data0[i0] !== "string") {
                  validate12.errors = [{ instancePath: instancePath + "/test/" + i0, schemaPath: "#/properties/test/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                  return false;
                }
                var valid1 = _errs4 === errors;
                if (!valid1) {
                  break;
                }
              }
            }
          }
          var valid0 = _errs2 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.interval !== void 0) {
            let data2 = data.interval;
            const _errs6 = errors;
            if (!(typeof data2 == "number") && typeof data2 !== "string") {
              validate12.errors = [{ instancePath: instancePath + "/interval", schemaPath: "#/definitions/duration/type", keyword: "type", params: { type: schema22.type }, message: "must be number,string" }];
              return false;
            }
            var valid0 = _errs6 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.timeout !== void 0) {
              let data3 = data.timeout;
              const _errs9 = errors;
              if (!(typeof data3 == "number") && typeof data3 !== "string") {
                validate12.errors = [{ instancePath: instancePath + "/timeout", schemaPath: "#/definitions/duration/type", keyword: "type", params: { type: schema22.type }, message: "must be number,string" }];
                return false;
              }
              var valid0 = _errs9 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.retries !== void 0) {
                let data4 = data.retries;
                const _errs12 = errors;
                if (!(typeof data4 == "number" && (!(data4 % 1) && !isNaN(data4)))) {
                  validate12.errors = [{ instancePath: instancePath + "/retries", schemaPath: "#/properties/retries/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                  return false;
                }
                if (errors === _errs12) {
                  if (typeof data4 == "number") {
                    if (data4 < 0 || isNaN(data4)) {
                      validate12.errors = [{ instancePath: instancePath + "/retries", schemaPath: "#/properties/retries/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                      return false;
                    }
                  }
                }
                var valid0 = _errs12 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data["start-period"] !== void 0) {
                  let data5 = data["start-period"];
                  const _errs14 = errors;
                  if (!(typeof data5 == "number") && typeof data5 !== "string") {
                    validate12.errors = [{ instancePath: instancePath + "/start-period", schemaPath: "#/definitions/duration/type", keyword: "type", params: { type: schema22.type }, message: "must be number,string" }];
                    return false;
                  }
                  var valid0 = _errs14 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.disable !== void 0) {
                    const _errs17 = errors;
                    if (typeof data.disable !== "boolean") {
                      validate12.errors = [{ instancePath: instancePath + "/disable", schemaPath: "#/properties/disable/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" }];
                      return false;
                    }
                    var valid0 = _errs17 === errors;
                  } else {
                    var valid0 = true;
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate12.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate12.errors = vErrors;
  return errors === 0;
}
function validate11(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.image === void 0 && (missing0 = "image")) {
        validate11.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        const _errs1 = errors;
        for (const key0 in data) {
          if (!func2.call(schema17.properties, key0)) {
            validate11.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
            return false;
            break;
          }
        }
        if (_errs1 === errors) {
          if (data.image !== void 0) {
            let data0 = data.image;
            const _errs2 = errors;
            const _errs3 = errors;
            if (errors === _errs3) {
              if (typeof data0 === "string") {
                if (func3(data0) < 1) {
                  validate11.errors = [{ instancePath: instancePath + "/image", schemaPath: "#/definitions/image/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                  return false;
                }
              } else {
                validate11.errors = [{ instancePath: instancePath + "/image", schemaPath: "#/definitions/image/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                return false;
              }
            }
            var valid0 = _errs2 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.env !== void 0) {
              let data1 = data.env;
              const _errs5 = errors;
              const _errs6 = errors;
              if (errors === _errs6) {
                if (data1 && typeof data1 == "object" && !Array.isArray(data1)) {
                  for (const key1 in data1) {
                    const _errs8 = errors;
                    if (errors === _errs8) {
                      if (typeof key1 === "string") {
                        if (!pattern1.test(key1)) {
                          const err0 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/pattern", keyword: "pattern", params: { pattern: "^[^=]+$" }, message: 'must match pattern "^[^=]+$"', propertyName: key1 };
                          if (vErrors === null) {
                            vErrors = [err0];
                          } else {
                            vErrors.push(err0);
                          }
                          errors++;
                        }
                      } else {
                        const err1 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/type", keyword: "type", params: { type: "string" }, message: "must be string", propertyName: key1 };
                        if (vErrors === null) {
                          vErrors = [err1];
                        } else {
                          vErrors.push(err1);
                        }
                        errors++;
                      }
                    }
                    var valid3 = _errs8 === errors;
                    if (!valid3) {
                      const err2 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames", keyword: "propertyNames", params: { propertyName: key1 }, message: "property name must be valid" };
                      if (vErrors === null) {
                        vErrors = [err2];
                      } else {
                        vErrors.push(err2);
                      }
                      errors++;
                      validate11.errors = vErrors;
                      return false;
                      break;
                    }
                  }
                  if (valid3) {
                    for (const key2 in data1) {
                      let data2 = data1[key2];
                      const _errs11 = errors;
                      if (typeof data2 !== "string" && !(typeof data2 == "number") && typeof data2 !== "boolean") {
                        validate11.errors = [{ instancePath: instancePath + "/env/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/definitions/env/additionalProperties/type", keyword: "type", params: { type: schema14.additionalProperties.type }, message: "must be string,number,boolean" }];
                        return false;
                      }
                      var valid4 = _errs11 === errors;
                      if (!valid4) {
                        break;
                      }
                    }
                  }
                } else {
                  validate11.errors = [{ instancePath: instancePath + "/env", schemaPath: "#/definitions/env/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                  return false;
                }
              }
              var valid0 = _errs5 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.ports !== void 0) {
                let data3 = data.ports;
                const _errs13 = errors;
                if (errors === _errs13) {
                  if (Array.isArray(data3)) {
                    var valid5 = true;
                    const len0 = data3.length;
                    for (let i0 = 0; i0 < len0; i0++) {
                      let data4 = data3[i0];
                      const _errs15 = errors;
                      if (typeof data4 !== "string" && !(typeof data4 == "number" && (!(data4 % 1) && !isNaN(data4)))) {
                        validate11.errors = [{ instancePath: instancePath + "/ports/" + i0, schemaPath: "#/properties/ports/items/type", keyword: "type", params: { type: schema17.properties.ports.items.type }, message: "must be string,integer" }];
                        return false;
                      }
                      var valid5 = _errs15 === errors;
                      if (!valid5) {
                        break;
                      }
                    }
                  } else {
                    validate11.errors = [{ instancePath: instancePath + "/ports", schemaPath: "#/properties/ports/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                    return false;
                  }
                }
                var valid0 = _errs13 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.command !== void 0) {
                  let data5 = data.command;
                  const _errs17 = errors;
                  const _errs18 = errors;
                  if (errors === _errs18) {
                    if (Array.isArray(data5)) {
                      if (data5.length < 1) {
                        validate11.errors = [{ instancePath: instancePath + "/command", schemaPath: "#/definitions/argv/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" }];
                        return false;
                      } else {
                        var valid7 = true;
                        const len1 = data5.length;
                        for (let i1 = 0; i1 < len1; i1++) {
                          const _errs20 = errors;
                          if (typeof data5[i1] !== "string") {
                            validate11.errors = [{ instancePath: instancePath + "/command/" + i1, schemaPath: "#/definitions/argv/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                          var valid7 = _errs20 === errors;
                          if (!valid7) {
                            break;
                          }
                        }
                      }
                    } else {
                      validate11.errors = [{ instancePath: instancePath + "/command", schemaPath: "#/definitions/argv/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                      return false;
                    }
                  }
                  var valid0 = _errs17 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.entrypoint !== void 0) {
                    let data7 = data.entrypoint;
                    const _errs22 = errors;
                    if (errors === _errs22) {
                      if (Array.isArray(data7)) {
                        var valid8 = true;
                        const len2 = data7.length;
                        for (let i2 = 0; i2 < len2; i2++) {
                          const _errs24 = errors;
                          if (typeof data7[i2] !== "string") {
                            validate11.errors = [{ instancePath: instancePath + "/entrypoint/" + i2, schemaPath: "#/properties/entrypoint/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                          var valid8 = _errs24 === errors;
                          if (!valid8) {
                            break;
                          }
                        }
                      } else {
                        validate11.errors = [{ instancePath: instancePath + "/entrypoint", schemaPath: "#/properties/entrypoint/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                        return false;
                      }
                    }
                    var valid0 = _errs22 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.replicas !== void 0) {
                      let data9 = data.replicas;
                      const _errs26 = errors;
                      if (!(typeof data9 == "number" && (!(data9 % 1) && !isNaN(data9)))) {
                        validate11.errors = [{ instancePath: instancePath + "/replicas", schemaPath: "#/properties/replicas/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                        return false;
                      }
                      if (errors === _errs26) {
                        if (typeof data9 == "number") {
                          if (data9 > 32 || isNaN(data9)) {
                            validate11.errors = [{ instancePath: instancePath + "/replicas", schemaPath: "#/properties/replicas/maximum", keyword: "maximum", params: { comparison: "<=", limit: 32 }, message: "must be <= 32" }];
                            return false;
                          } else {
                            if (data9 < 1 || isNaN(data9)) {
                              validate11.errors = [{ instancePath: instancePath + "/replicas", schemaPath: "#/properties/replicas/minimum", keyword: "minimum", params: { comparison: ">=", limit: 1 }, message: "must be >= 1" }];
                              return false;
                            }
                          }
                        }
                      }
                      var valid0 = _errs26 === errors;
                    } else {
                      var valid0 = true;
                    }
                    if (valid0) {
                      if (data.user !== void 0) {
                        let data10 = data.user;
                        const _errs28 = errors;
                        if (typeof data10 !== "string" && !(typeof data10 == "number" && (!(data10 % 1) && !isNaN(data10)))) {
                          validate11.errors = [{ instancePath: instancePath + "/user", schemaPath: "#/properties/user/type", keyword: "type", params: { type: schema17.properties.user.type }, message: "must be string,integer" }];
                          return false;
                        }
                        var valid0 = _errs28 === errors;
                      } else {
                        var valid0 = true;
                      }
                      if (valid0) {
                        if (data.volumes !== void 0) {
                          let data11 = data.volumes;
                          const _errs30 = errors;
                          if (errors === _errs30) {
                            if (Array.isArray(data11)) {
                              var valid9 = true;
                              const len3 = data11.length;
                              for (let i3 = 0; i3 < len3; i3++) {
                                let data12 = data11[i3];
                                const _errs32 = errors;
                                if (errors === _errs32) {
                                  if (typeof data12 === "string") {
                                    if (func3(data12) < 1) {
                                      validate11.errors = [{ instancePath: instancePath + "/volumes/" + i3, schemaPath: "#/properties/volumes/items/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                      return false;
                                    }
                                  } else {
                                    validate11.errors = [{ instancePath: instancePath + "/volumes/" + i3, schemaPath: "#/properties/volumes/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                    return false;
                                  }
                                }
                                var valid9 = _errs32 === errors;
                                if (!valid9) {
                                  break;
                                }
                              }
                            } else {
                              validate11.errors = [{ instancePath: instancePath + "/volumes", schemaPath: "#/properties/volumes/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                              return false;
                            }
                          }
                          var valid0 = _errs30 === errors;
                        } else {
                          var valid0 = true;
                        }
                        if (valid0) {
                          if (data.healthcheck !== void 0) {
                            const _errs34 = errors;
                            if (!validate12(data.healthcheck, { instancePath: instancePath + "/healthcheck", parentData: data, parentDataProperty: "healthcheck", rootData })) {
                              vErrors = vErrors === null ? validate12.errors : vErrors.concat(validate12.errors);
                              errors = vErrors.length;
                            }
                            var valid0 = _errs34 === errors;
                          } else {
                            var valid0 = true;
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate11.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate11.errors = vErrors;
  return errors === 0;
}
function validate15(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      const _errs1 = errors;
      for (const key0 in data) {
        if (!(key0 === "name" || key0 === "run" || key0 === "command" || key0 === "env" || key0 === "working-directory" || key0 === "continue-on-error" || key0 === "timeout")) {
          validate15.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
          return false;
          break;
        }
      }
      if (_errs1 === errors) {
        if (data.name !== void 0) {
          const _errs2 = errors;
          if (typeof data.name !== "string") {
            validate15.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
            return false;
          }
          var valid0 = _errs2 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.run !== void 0) {
            const _errs4 = errors;
            if (typeof data.run !== "string") {
              validate15.errors = [{ instancePath: instancePath + "/run", schemaPath: "#/properties/run/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
              return false;
            }
            var valid0 = _errs4 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.command !== void 0) {
              let data2 = data.command;
              const _errs6 = errors;
              const _errs7 = errors;
              if (errors === _errs7) {
                if (Array.isArray(data2)) {
                  if (data2.length < 1) {
                    validate15.errors = [{ instancePath: instancePath + "/command", schemaPath: "#/definitions/argv/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" }];
                    return false;
                  } else {
                    var valid2 = true;
                    const len0 = data2.length;
                    for (let i0 = 0; i0 < len0; i0++) {
                      const _errs9 = errors;
                      if (typeof data2[i0] !== "string") {
                        validate15.errors = [{ instancePath: instancePath + "/command/" + i0, schemaPath: "#/definitions/argv/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                        return false;
                      }
                      var valid2 = _errs9 === errors;
                      if (!valid2) {
                        break;
                      }
                    }
                  }
                } else {
                  validate15.errors = [{ instancePath: instancePath + "/command", schemaPath: "#/definitions/argv/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                  return false;
                }
              }
              var valid0 = _errs6 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.env !== void 0) {
                let data4 = data.env;
                const _errs11 = errors;
                const _errs12 = errors;
                if (errors === _errs12) {
                  if (data4 && typeof data4 == "object" && !Array.isArray(data4)) {
                    for (const key1 in data4) {
                      const _errs14 = errors;
                      if (errors === _errs14) {
                        if (typeof key1 === "string") {
                          if (!pattern1.test(key1)) {
                            const err0 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/pattern", keyword: "pattern", params: { pattern: "^[^=]+$" }, message: 'must match pattern "^[^=]+$"', propertyName: key1 };
                            if (vErrors === null) {
                              vErrors = [err0];
                            } else {
                              vErrors.push(err0);
                            }
                            errors++;
                          }
                        } else {
                          const err1 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/type", keyword: "type", params: { type: "string" }, message: "must be string", propertyName: key1 };
                          if (vErrors === null) {
                            vErrors = [err1];
                          } else {
                            vErrors.push(err1);
                          }
                          errors++;
                        }
                      }
                      var valid4 = _errs14 === errors;
                      if (!valid4) {
                        const err2 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames", keyword: "propertyNames", params: { propertyName: key1 }, message: "property name must be valid" };
                        if (vErrors === null) {
                          vErrors = [err2];
                        } else {
                          vErrors.push(err2);
                        }
                        errors++;
                        validate15.errors = vErrors;
                        return false;
                        break;
                      }
                    }
                    if (valid4) {
                      for (const key2 in data4) {
                        let data5 = data4[key2];
                        const _errs17 = errors;
                        if (typeof data5 !== "string" && !(typeof data5 == "number") && typeof data5 !== "boolean") {
                          validate15.errors = [{ instancePath: instancePath + "/env/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/definitions/env/additionalProperties/type", keyword: "type", params: { type: schema14.additionalProperties.type }, message: "must be string,number,boolean" }];
                          return false;
                        }
                        var valid5 = _errs17 === errors;
                        if (!valid5) {
                          break;
                        }
                      }
                    }
                  } else {
                    validate15.errors = [{ instancePath: instancePath + "/env", schemaPath: "#/definitions/env/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                    return false;
                  }
                }
                var valid0 = _errs11 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data["working-directory"] !== void 0) {
                  let data6 = data["working-directory"];
                  const _errs19 = errors;
                  if (errors === _errs19) {
                    if (typeof data6 === "string") {
                      if (func3(data6) < 1) {
                        validate15.errors = [{ instancePath: instancePath + "/working-directory", schemaPath: "#/properties/working-directory/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                        return false;
                      }
                    } else {
                      validate15.errors = [{ instancePath: instancePath + "/working-directory", schemaPath: "#/properties/working-directory/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                      return false;
                    }
                  }
                  var valid0 = _errs19 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data["continue-on-error"] !== void 0) {
                    const _errs21 = errors;
                    if (typeof data["continue-on-error"] !== "boolean") {
                      validate15.errors = [{ instancePath: instancePath + "/continue-on-error", schemaPath: "#/properties/continue-on-error/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" }];
                      return false;
                    }
                    var valid0 = _errs21 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.timeout !== void 0) {
                      let data8 = data.timeout;
                      const _errs23 = errors;
                      if (!(typeof data8 == "number") && typeof data8 !== "string") {
                        validate15.errors = [{ instancePath: instancePath + "/timeout", schemaPath: "#/definitions/duration/type", keyword: "type", params: { type: schema22.type }, message: "must be number,string" }];
                        return false;
                      }
                      var valid0 = _errs23 === errors;
                    } else {
                      var valid0 = true;
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate15.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate15.errors = vErrors;
  return errors === 0;
}
function validate10(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.image === void 0 && (missing0 = "image") || data.steps === void 0 && (missing0 = "steps")) {
        validate10.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        const _errs1 = errors;
        for (const key0 in data) {
          if (!func2.call(schema11.properties, key0)) {
            validate10.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
            return false;
            break;
          }
        }
        if (_errs1 === errors) {
          if (data.name !== void 0) {
            let data0 = data.name;
            const _errs2 = errors;
            const _errs3 = errors;
            if (errors === _errs3) {
              if (typeof data0 === "string") {
                if (func3(data0) > 63) {
                  validate10.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/definitions/name/maxLength", keyword: "maxLength", params: { limit: 63 }, message: "must NOT have more than 63 characters" }];
                  return false;
                } else {
                  if (!pattern0.test(data0)) {
                    validate10.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/definitions/name/pattern", keyword: "pattern", params: { pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" }, message: 'must match pattern "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"' }];
                    return false;
                  }
                }
              } else {
                validate10.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/definitions/name/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                return false;
              }
            }
            var valid0 = _errs2 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.image !== void 0) {
              let data1 = data.image;
              const _errs5 = errors;
              const _errs6 = errors;
              if (errors === _errs6) {
                if (typeof data1 === "string") {
                  if (func3(data1) < 1) {
                    validate10.errors = [{ instancePath: instancePath + "/image", schemaPath: "#/definitions/image/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                    return false;
                  }
                } else {
                  validate10.errors = [{ instancePath: instancePath + "/image", schemaPath: "#/definitions/image/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                  return false;
                }
              }
              var valid0 = _errs5 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.env !== void 0) {
                let data2 = data.env;
                const _errs8 = errors;
                const _errs9 = errors;
                if (errors === _errs9) {
                  if (data2 && typeof data2 == "object" && !Array.isArray(data2)) {
                    for (const key1 in data2) {
                      const _errs11 = errors;
                      if (errors === _errs11) {
                        if (typeof key1 === "string") {
                          if (!pattern1.test(key1)) {
                            const err0 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/pattern", keyword: "pattern", params: { pattern: "^[^=]+$" }, message: 'must match pattern "^[^=]+$"', propertyName: key1 };
                            if (vErrors === null) {
                              vErrors = [err0];
                            } else {
                              vErrors.push(err0);
                            }
                            errors++;
                          }
                        } else {
                          const err1 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames/type", keyword: "type", params: { type: "string" }, message: "must be string", propertyName: key1 };
                          if (vErrors === null) {
                            vErrors = [err1];
                          } else {
                            vErrors.push(err1);
                          }
                          errors++;
                        }
                      }
                      var valid4 = _errs11 === errors;
                      if (!valid4) {
                        const err2 = { instancePath: instancePath + "/env", schemaPath: "#/definitions/env/propertyNames", keyword: "propertyNames", params: { propertyName: key1 }, message: "property name must be valid" };
                        if (vErrors === null) {
                          vErrors = [err2];
                        } else {
                          vErrors.push(err2);
                        }
                        errors++;
                        validate10.errors = vErrors;
                        return false;
                        break;
                      }
                    }
                    if (valid4) {
                      for (const key2 in data2) {
                        let data3 = data2[key2];
                        const _errs14 = errors;
                        if (typeof data3 !== "string" && !(typeof data3 == "number") && typeof data3 !== "boolean") {
                          validate10.errors = [{ instancePath: instancePath + "/env/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/definitions/env/additionalProperties/type", keyword: "type", params: { type: schema14.additionalProperties.type }, message: "must be string,number,boolean" }];
                          return false;
                        }
                        var valid5 = _errs14 === errors;
                        if (!valid5) {
                          break;
                        }
                      }
                    }
                  } else {
                    validate10.errors = [{ instancePath: instancePath + "/env", schemaPath: "#/definitions/env/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                    return false;
                  }
                }
                var valid0 = _errs8 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.volumes !== void 0) {
                  let data4 = data.volumes;
                  const _errs16 = errors;
                  if (errors === _errs16) {
                    if (Array.isArray(data4)) {
                      var valid6 = true;
                      const len0 = data4.length;
                      for (let i0 = 0; i0 < len0; i0++) {
                        let data5 = data4[i0];
                        const _errs18 = errors;
                        if (errors === _errs18) {
                          if (typeof data5 === "string") {
                            if (func3(data5) < 1) {
                              validate10.errors = [{ instancePath: instancePath + "/volumes/" + i0, schemaPath: "#/properties/volumes/items/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                              return false;
                            }
                          } else {
                            validate10.errors = [{ instancePath: instancePath + "/volumes/" + i0, schemaPath: "#/properties/volumes/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                        }
                        var valid6 = _errs18 === errors;
                        if (!valid6) {
                          break;
                        }
                      }
                    } else {
                      validate10.errors = [{ instancePath: instancePath + "/volumes", schemaPath: "#/properties/volumes/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                      return false;
                    }
                  }
                  var valid0 = _errs16 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.workspace !== void 0) {
                    let data6 = data.workspace;
                    const _errs20 = errors;
                    if (errors === _errs20) {
                      if (typeof data6 === "string") {
                        if (func3(data6) < 1) {
                          validate10.errors = [{ instancePath: instancePath + "/workspace", schemaPath: "#/properties/workspace/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                          return false;
                        }
                      } else {
                        validate10.errors = [{ instancePath: instancePath + "/workspace", schemaPath: "#/properties/workspace/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                        return false;
                      }
                    }
                    var valid0 = _errs20 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.user !== void 0) {
                      let data7 = data.user;
                      const _errs22 = errors;
                      if (typeof data7 !== "string" && !(typeof data7 == "number" && (!(data7 % 1) && !isNaN(data7)))) {
                        validate10.errors = [{ instancePath: instancePath + "/user", schemaPath: "#/properties/user/type", keyword: "type", params: { type: schema11.properties.user.type }, message: "must be string,integer" }];
                        return false;
                      }
                      var valid0 = _errs22 === errors;
                    } else {
                      var valid0 = true;
                    }
                    if (valid0) {
                      if (data.memory !== void 0) {
                        let data8 = data.memory;
                        const _errs24 = errors;
                        if (typeof data8 !== "string" && !(typeof data8 == "number" && (!(data8 % 1) && !isNaN(data8)))) {
                          validate10.errors = [{ instancePath: instancePath + "/memory", schemaPath: "#/properties/memory/type", keyword: "type", params: { type: schema11.properties.memory.type }, message: "must be string,integer" }];
                          return false;
                        }
                        var valid0 = _errs24 === errors;
                      } else {
                        var valid0 = true;
                      }
                      if (valid0) {
                        if (data.cpus !== void 0) {
                          let data9 = data.cpus;
                          const _errs26 = errors;
                          if (typeof data9 !== "string" && !(typeof data9 == "number")) {
                            validate10.errors = [{ instancePath: instancePath + "/cpus", schemaPath: "#/properties/cpus/type", keyword: "type", params: { type: schema11.properties.cpus.type }, message: "must be string,number" }];
                            return false;
                          }
                          var valid0 = _errs26 === errors;
                        } else {
                          var valid0 = true;
                        }
                        if (valid0) {
                          if (data["pids-limit"] !== void 0) {
                            let data10 = data["pids-limit"];
                            const _errs28 = errors;
                            if (!(typeof data10 == "number" && (!(data10 % 1) && !isNaN(data10)))) {
                              validate10.errors = [{ instancePath: instancePath + "/pids-limit", schemaPath: "#/properties/pids-limit/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                              return false;
                            }
                            var valid0 = _errs28 === errors;
                          } else {
                            var valid0 = true;
                          }
                          if (valid0) {
                            if (data.network !== void 0) {
                              let data11 = data.network;
                              const _errs30 = errors;
                              const _errs31 = errors;
                              if (errors === _errs31) {
                                if (typeof data11 === "string") {
                                  if (func3(data11) > 63) {
                                    validate10.errors = [{ instancePath: instancePath + "/network", schemaPath: "#/definitions/name/maxLength", keyword: "maxLength", params: { limit: 63 }, message: "must NOT have more than 63 characters" }];
                                    return false;
                                  } else {
                                    if (!pattern0.test(data11)) {
                                      validate10.errors = [{ instancePath: instancePath + "/network", schemaPath: "#/definitions/name/pattern", keyword: "pattern", params: { pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" }, message: 'must match pattern "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"' }];
                                      return false;
                                    }
                                  }
                                } else {
                                  validate10.errors = [{ instancePath: instancePath + "/network", schemaPath: "#/definitions/name/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                  return false;
                                }
                              }
                              var valid0 = _errs30 === errors;
                            } else {
                              var valid0 = true;
                            }
                            if (valid0) {
                              if (data.services !== void 0) {
                                let data12 = data.services;
                                const _errs33 = errors;
                                if (errors === _errs33) {
                                  if (data12 && typeof data12 == "object" && !Array.isArray(data12)) {
                                    for (const key3 in data12) {
                                      const _errs35 = errors;
                                      const _errs36 = errors;
                                      if (errors === _errs36) {
                                        if (typeof key3 === "string") {
                                          if (func3(key3) > 63) {
                                            const err3 = { instancePath: instancePath + "/services", schemaPath: "#/definitions/name/maxLength", keyword: "maxLength", params: { limit: 63 }, message: "must NOT have more than 63 characters", propertyName: key3 };
                                            if (vErrors === null) {
                                              vErrors = [err3];
                                            } else {
                                              vErrors.push(err3);
                                            }
                                            errors++;
                                          } else {
                                            if (!pattern0.test(key3)) {
                                              const err4 = { instancePath: instancePath + "/services", schemaPath: "#/definitions/name/pattern", keyword: "pattern", params: { pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" }, message: 'must match pattern "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"', propertyName: key3 };
                                              if (vErrors === null) {
                                                vErrors = [err4];
                                              } else {
                                                vErrors.push(err4);
                                              }
                                              errors++;
                                            }
                                          }
                                        } else {
                                          const err5 = { instancePath: instancePath + "/services", schemaPath: "#/definitions/name/type", keyword: "type", params: { type: "string" }, message: "must be string", propertyName: key3 };
                                          if (vErrors === null) {
                                            vErrors = [err5];
                                          } else {
                                            vErrors.push(err5);
                                          }
                                          errors++;
                                        }
                                      }
                                      var valid8 = _errs35 === errors;
                                      if (!valid8) {
                                        const err6 = { instancePath: instancePath + "/services", schemaPath: "#/properties/services/propertyNames", keyword: "propertyNames", params: { propertyName: key3 }, message: "property name must be valid" };
                                        if (vErrors === null) {
                                          vErrors = [err6];
                                        } else {
                                          vErrors.push(err6);
                                        }
                                        errors++;
                                        validate10.errors = vErrors;
                                        return false;
                                        break;
                                      }
                                    }
                                    if (valid8) {
                                      for (const key4 in data12) {
                                        const _errs39 = errors;
                                        if (!validate11(data12[key4], { instancePath: instancePath + "/services/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"), parentData: data12, parentDataProperty: key4, rootData })) {
                                          vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
                                          errors = vErrors.length;
                                        }
                                        var valid10 = _errs39 === errors;
                                        if (!valid10) {
                                          break;
                                        }
                                      }
                                    }
                                  } else {
                                    validate10.errors = [{ instancePath: instancePath + "/services", schemaPath: "#/properties/services/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                    return false;
                                  }
                                }
                                var valid0 = _errs33 === errors;
                              } else {
                                var valid0 = true;
                              }
                              if (valid0) {
                                if (data.steps !== void 0) {
                                  let data14 = data.steps;
                                  const _errs40 = errors;
                                  if (errors === _errs40) {
                                    if (Array.isArray(data14)) {
                                      if (data14.length < 1) {
                                        validate10.errors = [{ instancePath: instancePath + "/steps", schemaPath: "#/properties/steps/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" }];
                                        return false;
                                      } else {
                                        var valid11 = true;
                                        const len1 = data14.length;
                                        for (let i1 = 0; i1 < len1; i1++) {
                                          const _errs42 = errors;
                                          if (!validate15(data14[i1], { instancePath: instancePath + "/steps/" + i1, parentData: data14, parentDataProperty: i1, rootData })) {
                                            vErrors = vErrors === null ? validate15.errors : vErrors.concat(validate15.errors);
                                            errors = vErrors.length;
                                          }
                                          var valid11 = _errs42 === errors;
                                          if (!valid11) {
                                            break;
                                          }
                                        }
                                      }
                                    } else {
                                      validate10.errors = [{ instancePath: instancePath + "/steps", schemaPath: "#/properties/steps/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                      return false;
                                    }
                                  }
                                  var valid0 = _errs40 === errors;
                                } else {
                                  var valid0 = true;
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate10.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate10.errors = vErrors;
  return errors === 0;
}
