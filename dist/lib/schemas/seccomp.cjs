"use strict";

// build/schemas/seccomp.unbundled.cjs
exports.seccomp = validate10;
var schema11 = { "$id": "https://burrow.dev/schemas/seccomp.schema.json", "title": "Seccomp profile (Docker's JSON format, as for docker run --security-opt seccomp=FILE)", "type": "object", "required": ["defaultAction"], "additionalProperties": false, "properties": { "defaultAction": { "$ref": "#/definitions/action" }, "defaultErrnoRet": { "$ref": "#/definitions/errno" }, "architectures": { "type": ["array", "null"], "items": { "$ref": "#/definitions/arch" } }, "archMap": { "type": ["array", "null"], "items": { "type": "object", "required": ["architecture"], "additionalProperties": false, "properties": { "architecture": { "$ref": "#/definitions/arch" }, "subArchitectures": { "type": ["array", "null"], "items": { "$ref": "#/definitions/arch" } } } } }, "flags": { "type": ["array", "null"], "items": { "type": "string" } }, "listenerPath": { "type": "string" }, "listenerMetadata": { "type": "string" }, "syscalls": { "type": ["array", "null"], "items": { "$ref": "#/definitions/rule" } } }, "definitions": { "action": { "enum": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"] }, "errno": { "type": "integer", "minimum": 0, "maximum": 65535 }, "arch": { "enum": ["SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"] }, "uint64": { "description": "An unsigned 64-bit value: a JSON integer (values past 2^53 are read exactly from the text) or a string of decimal digits.", "type": ["integer", "string"], "minimum": 0, "pattern": "^[0-9]{1,20}$" }, "filter": { "type": ["object", "null"], "additionalProperties": false, "properties": { "caps": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$" } }, "arches": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[a-z][a-z0-9_]*$" } }, "minKernel": { "type": "string", "pattern": "^[0-9]+\\.[0-9]+$" } } }, "rule": { "type": "object", "required": ["action"], "additionalProperties": false, "properties": { "names": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[A-Za-z0-9_]+$" } }, "name": { "type": "string", "pattern": "^[A-Za-z0-9_]+$" }, "action": { "$ref": "#/definitions/action" }, "errnoRet": { "$ref": "#/definitions/errno" }, "args": { "type": ["array", "null"], "items": { "type": "object", "required": ["index", "value", "op"], "additionalProperties": false, "properties": { "index": { "type": "integer", "minimum": 0, "maximum": 5 }, "value": { "$ref": "#/definitions/uint64" }, "valueTwo": { "$ref": "#/definitions/uint64" }, "op": { "enum": ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"] } } } }, "includes": { "$ref": "#/definitions/filter" }, "excludes": { "$ref": "#/definitions/filter" }, "comment": { "type": "string" } } } } };
var schema12 = { "enum": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"] };
var schema14 = { "enum": ["SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"] };
var schema17 = { "type": "object", "required": ["action"], "additionalProperties": false, "properties": { "names": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[A-Za-z0-9_]+$" } }, "name": { "type": "string", "pattern": "^[A-Za-z0-9_]+$" }, "action": { "$ref": "#/definitions/action" }, "errnoRet": { "$ref": "#/definitions/errno" }, "args": { "type": ["array", "null"], "items": { "type": "object", "required": ["index", "value", "op"], "additionalProperties": false, "properties": { "index": { "type": "integer", "minimum": 0, "maximum": 5 }, "value": { "$ref": "#/definitions/uint64" }, "valueTwo": { "$ref": "#/definitions/uint64" }, "op": { "enum": ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"] } } } }, "includes": { "$ref": "#/definitions/filter" }, "excludes": { "$ref": "#/definitions/filter" }, "comment": { "type": "string" } } };
var schema20 = { "description": "An unsigned 64-bit value: a JSON integer (values past 2^53 are read exactly from the text) or a string of decimal digits.", "type": ["integer", "string"], "minimum": 0, "pattern": "^[0-9]{1,20}$" };
var schema22 = { "type": ["object", "null"], "additionalProperties": false, "properties": { "caps": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$" } }, "arches": { "type": ["array", "null"], "items": { "type": "string", "pattern": "^[a-z][a-z0-9_]*$" } }, "minKernel": { "type": "string", "pattern": "^[0-9]+\\.[0-9]+$" } } };
var pattern0 = new RegExp("^[A-Za-z0-9_]+$", "u");
var pattern2 = new RegExp("^[0-9]{1,20}$", "u");
var pattern4 = new RegExp("^[A-Za-z][A-Za-z0-9_]*$", "u");
var pattern5 = new RegExp("^[a-z][a-z0-9_]*$", "u");
var pattern6 = new RegExp("^[0-9]+\\.[0-9]+$", "u");
function validate11(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.action === void 0 && (missing0 = "action")) {
        validate11.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        const _errs1 = errors;
        for (const key0 in data) {
          if (!(key0 === "names" || key0 === "name" || key0 === "action" || key0 === "errnoRet" || key0 === "args" || key0 === "includes" || key0 === "excludes" || key0 === "comment")) {
            validate11.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
            return false;
            break;
          }
        }
        if (_errs1 === errors) {
          if (data.names !== void 0) {
            let data0 = data.names;
            const _errs2 = errors;
            if (!Array.isArray(data0) && data0 !== null) {
              validate11.errors = [{ instancePath: instancePath + "/names", schemaPath: "#/properties/names/type", keyword: "type", params: { type: schema17.properties.names.type }, message: "must be array,null" }];
              return false;
            }
            if (errors === _errs2) {
              if (Array.isArray(data0)) {
                var valid1 = true;
                const len0 = data0.length;
                for (let i0 = 0; i0 < len0; i0++) {
                  let data1 = data0[i0];
                  const _errs4 = errors;
                  if (errors === _errs4) {
                    if (typeof data1 === "string") {
                      if (!pattern0.test(data1)) {
                        validate11.errors = [{ instancePath: instancePath + "/names/" + i0, schemaPath: "#/properties/names/items/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9_]+$" }, message: 'must match pattern "^[A-Za-z0-9_]+$"' }];
                        return false;
                      }
                    } else {
                      validate11.errors = [{ instancePath: instancePath + "/names/" + i0, schemaPath: "#/properties/names/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                      return false;
                    }
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
            if (data.name !== void 0) {
              let data2 = data.name;
              const _errs6 = errors;
              if (errors === _errs6) {
                if (typeof data2 === "string") {
                  if (!pattern0.test(data2)) {
                    validate11.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/properties/name/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9_]+$" }, message: 'must match pattern "^[A-Za-z0-9_]+$"' }];
                    return false;
                  }
                } else {
                  validate11.errors = [{ instancePath: instancePath + "/name", schemaPath: "#/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                  return false;
                }
              }
              var valid0 = _errs6 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.action !== void 0) {
                let data3 = data.action;
                const _errs8 = errors;
                if (!(data3 === "SCMP_ACT_ALLOW" || data3 === "SCMP_ACT_ERRNO" || data3 === "SCMP_ACT_KILL" || data3 === "SCMP_ACT_KILL_THREAD" || data3 === "SCMP_ACT_KILL_PROCESS" || data3 === "SCMP_ACT_TRAP" || data3 === "SCMP_ACT_TRACE" || data3 === "SCMP_ACT_LOG" || data3 === "SCMP_ACT_NOTIFY")) {
                  validate11.errors = [{ instancePath: instancePath + "/action", schemaPath: "#/definitions/action/enum", keyword: "enum", params: { allowedValues: schema12.enum }, message: "must be equal to one of the allowed values" }];
                  return false;
                }
                var valid0 = _errs8 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.errnoRet !== void 0) {
                  let data4 = data.errnoRet;
                  const _errs10 = errors;
                  const _errs11 = errors;
                  if (!(typeof data4 == "number" && (!(data4 % 1) && !isNaN(data4)))) {
                    validate11.errors = [{ instancePath: instancePath + "/errnoRet", schemaPath: "#/definitions/errno/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                    return false;
                  }
                  if (errors === _errs11) {
                    if (typeof data4 == "number") {
                      if (data4 > 65535 || isNaN(data4)) {
                        validate11.errors = [{ instancePath: instancePath + "/errnoRet", schemaPath: "#/definitions/errno/maximum", keyword: "maximum", params: { comparison: "<=", limit: 65535 }, message: "must be <= 65535" }];
                        return false;
                      } else {
                        if (data4 < 0 || isNaN(data4)) {
                          validate11.errors = [{ instancePath: instancePath + "/errnoRet", schemaPath: "#/definitions/errno/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                          return false;
                        }
                      }
                    }
                  }
                  var valid0 = _errs10 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.args !== void 0) {
                    let data5 = data.args;
                    const _errs13 = errors;
                    if (!Array.isArray(data5) && data5 !== null) {
                      validate11.errors = [{ instancePath: instancePath + "/args", schemaPath: "#/properties/args/type", keyword: "type", params: { type: schema17.properties.args.type }, message: "must be array,null" }];
                      return false;
                    }
                    if (errors === _errs13) {
                      if (Array.isArray(data5)) {
                        var valid4 = true;
                        const len1 = data5.length;
                        for (let i1 = 0; i1 < len1; i1++) {
                          let data6 = data5[i1];
                          const _errs15 = errors;
                          if (errors === _errs15) {
                            if (data6 && typeof data6 == "object" && !Array.isArray(data6)) {
                              let missing1;
                              if (data6.index === void 0 && (missing1 = "index") || data6.value === void 0 && (missing1 = "value") || data6.op === void 0 && (missing1 = "op")) {
                                validate11.errors = [{ instancePath: instancePath + "/args/" + i1, schemaPath: "#/properties/args/items/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                                return false;
                              } else {
                                const _errs17 = errors;
                                for (const key1 in data6) {
                                  if (!(key1 === "index" || key1 === "value" || key1 === "valueTwo" || key1 === "op")) {
                                    validate11.errors = [{ instancePath: instancePath + "/args/" + i1, schemaPath: "#/properties/args/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key1 }, message: "must NOT have additional properties" }];
                                    return false;
                                    break;
                                  }
                                }
                                if (_errs17 === errors) {
                                  if (data6.index !== void 0) {
                                    let data7 = data6.index;
                                    const _errs18 = errors;
                                    if (!(typeof data7 == "number" && (!(data7 % 1) && !isNaN(data7)))) {
                                      validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/index", schemaPath: "#/properties/args/items/properties/index/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                                      return false;
                                    }
                                    if (errors === _errs18) {
                                      if (typeof data7 == "number") {
                                        if (data7 > 5 || isNaN(data7)) {
                                          validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/index", schemaPath: "#/properties/args/items/properties/index/maximum", keyword: "maximum", params: { comparison: "<=", limit: 5 }, message: "must be <= 5" }];
                                          return false;
                                        } else {
                                          if (data7 < 0 || isNaN(data7)) {
                                            validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/index", schemaPath: "#/properties/args/items/properties/index/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                            return false;
                                          }
                                        }
                                      }
                                    }
                                    var valid5 = _errs18 === errors;
                                  } else {
                                    var valid5 = true;
                                  }
                                  if (valid5) {
                                    if (data6.value !== void 0) {
                                      let data8 = data6.value;
                                      const _errs20 = errors;
                                      const _errs21 = errors;
                                      if (!(typeof data8 == "number" && (!(data8 % 1) && !isNaN(data8))) && typeof data8 !== "string") {
                                        validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/value", schemaPath: "#/definitions/uint64/type", keyword: "type", params: { type: schema20.type }, message: "must be integer,string" }];
                                        return false;
                                      }
                                      if (errors === _errs21) {
                                        if (typeof data8 == "number") {
                                          if (data8 < 0 || isNaN(data8)) {
                                            validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/value", schemaPath: "#/definitions/uint64/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                            return false;
                                          }
                                        }
                                        if (errors === _errs21) {
                                          if (typeof data8 === "string") {
                                            if (!pattern2.test(data8)) {
                                              validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/value", schemaPath: "#/definitions/uint64/pattern", keyword: "pattern", params: { pattern: "^[0-9]{1,20}$" }, message: 'must match pattern "^[0-9]{1,20}$"' }];
                                              return false;
                                            }
                                          }
                                        }
                                      }
                                      var valid5 = _errs20 === errors;
                                    } else {
                                      var valid5 = true;
                                    }
                                    if (valid5) {
                                      if (data6.valueTwo !== void 0) {
                                        let data9 = data6.valueTwo;
                                        const _errs23 = errors;
                                        const _errs24 = errors;
                                        if (!(typeof data9 == "number" && (!(data9 % 1) && !isNaN(data9))) && typeof data9 !== "string") {
                                          validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/valueTwo", schemaPath: "#/definitions/uint64/type", keyword: "type", params: { type: schema20.type }, message: "must be integer,string" }];
                                          return false;
                                        }
                                        if (errors === _errs24) {
                                          if (typeof data9 == "number") {
                                            if (data9 < 0 || isNaN(data9)) {
                                              validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/valueTwo", schemaPath: "#/definitions/uint64/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                              return false;
                                            }
                                          }
                                          if (errors === _errs24) {
                                            if (typeof data9 === "string") {
                                              if (!pattern2.test(data9)) {
                                                validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/valueTwo", schemaPath: "#/definitions/uint64/pattern", keyword: "pattern", params: { pattern: "^[0-9]{1,20}$" }, message: 'must match pattern "^[0-9]{1,20}$"' }];
                                                return false;
                                              }
                                            }
                                          }
                                        }
                                        var valid5 = _errs23 === errors;
                                      } else {
                                        var valid5 = true;
                                      }
                                      if (valid5) {
                                        if (data6.op !== void 0) {
                                          let data10 = data6.op;
                                          const _errs26 = errors;
                                          if (!(data10 === "SCMP_CMP_NE" || data10 === "SCMP_CMP_LT" || data10 === "SCMP_CMP_LE" || data10 === "SCMP_CMP_EQ" || data10 === "SCMP_CMP_GE" || data10 === "SCMP_CMP_GT" || data10 === "SCMP_CMP_MASKED_EQ")) {
                                            validate11.errors = [{ instancePath: instancePath + "/args/" + i1 + "/op", schemaPath: "#/properties/args/items/properties/op/enum", keyword: "enum", params: { allowedValues: schema17.properties.args.items.properties.op.enum }, message: "must be equal to one of the allowed values" }];
                                            return false;
                                          }
                                          var valid5 = _errs26 === errors;
                                        } else {
                                          var valid5 = true;
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            } else {
                              validate11.errors = [{ instancePath: instancePath + "/args/" + i1, schemaPath: "#/properties/args/items/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                              return false;
                            }
                          }
                          var valid4 = _errs15 === errors;
                          if (!valid4) {
                            break;
                          }
                        }
                      }
                    }
                    var valid0 = _errs13 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.includes !== void 0) {
                      let data11 = data.includes;
                      const _errs27 = errors;
                      const _errs28 = errors;
                      if (!(data11 && typeof data11 == "object" && !Array.isArray(data11)) && data11 !== null) {
                        validate11.errors = [{ instancePath: instancePath + "/includes", schemaPath: "#/definitions/filter/type", keyword: "type", params: { type: schema22.type }, message: "must be object,null" }];
                        return false;
                      }
                      if (errors === _errs28) {
                        if (data11 && typeof data11 == "object" && !Array.isArray(data11)) {
                          const _errs30 = errors;
                          for (const key2 in data11) {
                            if (!(key2 === "caps" || key2 === "arches" || key2 === "minKernel")) {
                              validate11.errors = [{ instancePath: instancePath + "/includes", schemaPath: "#/definitions/filter/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key2 }, message: "must NOT have additional properties" }];
                              return false;
                              break;
                            }
                          }
                          if (_errs30 === errors) {
                            if (data11.caps !== void 0) {
                              let data12 = data11.caps;
                              const _errs31 = errors;
                              if (!Array.isArray(data12) && data12 !== null) {
                                validate11.errors = [{ instancePath: instancePath + "/includes/caps", schemaPath: "#/definitions/filter/properties/caps/type", keyword: "type", params: { type: schema22.properties.caps.type }, message: "must be array,null" }];
                                return false;
                              }
                              if (errors === _errs31) {
                                if (Array.isArray(data12)) {
                                  var valid10 = true;
                                  const len2 = data12.length;
                                  for (let i2 = 0; i2 < len2; i2++) {
                                    let data13 = data12[i2];
                                    const _errs33 = errors;
                                    if (errors === _errs33) {
                                      if (typeof data13 === "string") {
                                        if (!pattern4.test(data13)) {
                                          validate11.errors = [{ instancePath: instancePath + "/includes/caps/" + i2, schemaPath: "#/definitions/filter/properties/caps/items/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z][A-Za-z0-9_]*$" }, message: 'must match pattern "^[A-Za-z][A-Za-z0-9_]*$"' }];
                                          return false;
                                        }
                                      } else {
                                        validate11.errors = [{ instancePath: instancePath + "/includes/caps/" + i2, schemaPath: "#/definitions/filter/properties/caps/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                    }
                                    var valid10 = _errs33 === errors;
                                    if (!valid10) {
                                      break;
                                    }
                                  }
                                }
                              }
                              var valid9 = _errs31 === errors;
                            } else {
                              var valid9 = true;
                            }
                            if (valid9) {
                              if (data11.arches !== void 0) {
                                let data14 = data11.arches;
                                const _errs35 = errors;
                                if (!Array.isArray(data14) && data14 !== null) {
                                  validate11.errors = [{ instancePath: instancePath + "/includes/arches", schemaPath: "#/definitions/filter/properties/arches/type", keyword: "type", params: { type: schema22.properties.arches.type }, message: "must be array,null" }];
                                  return false;
                                }
                                if (errors === _errs35) {
                                  if (Array.isArray(data14)) {
                                    var valid11 = true;
                                    const len3 = data14.length;
                                    for (let i3 = 0; i3 < len3; i3++) {
                                      let data15 = data14[i3];
                                      const _errs37 = errors;
                                      if (errors === _errs37) {
                                        if (typeof data15 === "string") {
                                          if (!pattern5.test(data15)) {
                                            validate11.errors = [{ instancePath: instancePath + "/includes/arches/" + i3, schemaPath: "#/definitions/filter/properties/arches/items/pattern", keyword: "pattern", params: { pattern: "^[a-z][a-z0-9_]*$" }, message: 'must match pattern "^[a-z][a-z0-9_]*$"' }];
                                            return false;
                                          }
                                        } else {
                                          validate11.errors = [{ instancePath: instancePath + "/includes/arches/" + i3, schemaPath: "#/definitions/filter/properties/arches/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                      }
                                      var valid11 = _errs37 === errors;
                                      if (!valid11) {
                                        break;
                                      }
                                    }
                                  }
                                }
                                var valid9 = _errs35 === errors;
                              } else {
                                var valid9 = true;
                              }
                              if (valid9) {
                                if (data11.minKernel !== void 0) {
                                  let data16 = data11.minKernel;
                                  const _errs39 = errors;
                                  if (errors === _errs39) {
                                    if (typeof data16 === "string") {
                                      if (!pattern6.test(data16)) {
                                        validate11.errors = [{ instancePath: instancePath + "/includes/minKernel", schemaPath: "#/definitions/filter/properties/minKernel/pattern", keyword: "pattern", params: { pattern: "^[0-9]+\\.[0-9]+$" }, message: 'must match pattern "^[0-9]+\\.[0-9]+$"' }];
                                        return false;
                                      }
                                    } else {
                                      validate11.errors = [{ instancePath: instancePath + "/includes/minKernel", schemaPath: "#/definitions/filter/properties/minKernel/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                      return false;
                                    }
                                  }
                                  var valid9 = _errs39 === errors;
                                } else {
                                  var valid9 = true;
                                }
                              }
                            }
                          }
                        }
                      }
                      var valid0 = _errs27 === errors;
                    } else {
                      var valid0 = true;
                    }
                    if (valid0) {
                      if (data.excludes !== void 0) {
                        let data17 = data.excludes;
                        const _errs41 = errors;
                        const _errs42 = errors;
                        if (!(data17 && typeof data17 == "object" && !Array.isArray(data17)) && data17 !== null) {
                          validate11.errors = [{ instancePath: instancePath + "/excludes", schemaPath: "#/definitions/filter/type", keyword: "type", params: { type: schema22.type }, message: "must be object,null" }];
                          return false;
                        }
                        if (errors === _errs42) {
                          if (data17 && typeof data17 == "object" && !Array.isArray(data17)) {
                            const _errs44 = errors;
                            for (const key3 in data17) {
                              if (!(key3 === "caps" || key3 === "arches" || key3 === "minKernel")) {
                                validate11.errors = [{ instancePath: instancePath + "/excludes", schemaPath: "#/definitions/filter/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key3 }, message: "must NOT have additional properties" }];
                                return false;
                                break;
                              }
                            }
                            if (_errs44 === errors) {
                              if (data17.caps !== void 0) {
                                let data18 = data17.caps;
                                const _errs45 = errors;
                                if (!Array.isArray(data18) && data18 !== null) {
                                  validate11.errors = [{ instancePath: instancePath + "/excludes/caps", schemaPath: "#/definitions/filter/properties/caps/type", keyword: "type", params: { type: schema22.properties.caps.type }, message: "must be array,null" }];
                                  return false;
                                }
                                if (errors === _errs45) {
                                  if (Array.isArray(data18)) {
                                    var valid14 = true;
                                    const len4 = data18.length;
                                    for (let i4 = 0; i4 < len4; i4++) {
                                      let data19 = data18[i4];
                                      const _errs47 = errors;
                                      if (errors === _errs47) {
                                        if (typeof data19 === "string") {
                                          if (!pattern4.test(data19)) {
                                            validate11.errors = [{ instancePath: instancePath + "/excludes/caps/" + i4, schemaPath: "#/definitions/filter/properties/caps/items/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z][A-Za-z0-9_]*$" }, message: 'must match pattern "^[A-Za-z][A-Za-z0-9_]*$"' }];
                                            return false;
                                          }
                                        } else {
                                          validate11.errors = [{ instancePath: instancePath + "/excludes/caps/" + i4, schemaPath: "#/definitions/filter/properties/caps/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                      }
                                      var valid14 = _errs47 === errors;
                                      if (!valid14) {
                                        break;
                                      }
                                    }
                                  }
                                }
                                var valid13 = _errs45 === errors;
                              } else {
                                var valid13 = true;
                              }
                              if (valid13) {
                                if (data17.arches !== void 0) {
                                  let data20 = data17.arches;
                                  const _errs49 = errors;
                                  if (!Array.isArray(data20) && data20 !== null) {
                                    validate11.errors = [{ instancePath: instancePath + "/excludes/arches", schemaPath: "#/definitions/filter/properties/arches/type", keyword: "type", params: { type: schema22.properties.arches.type }, message: "must be array,null" }];
                                    return false;
                                  }
                                  if (errors === _errs49) {
                                    if (Array.isArray(data20)) {
                                      var valid15 = true;
                                      const len5 = data20.length;
                                      for (let i5 = 0; i5 < len5; i5++) {
                                        let data21 = data20[i5];
                                        const _errs51 = errors;
                                        if (errors === _errs51) {
                                          if (typeof data21 === "string") {
                                            if (!pattern5.test(data21)) {
                                              validate11.errors = [{ instancePath: instancePath + "/excludes/arches/" + i5, schemaPath: "#/definitions/filter/properties/arches/items/pattern", keyword: "pattern", params: { pattern: "^[a-z][a-z0-9_]*$" }, message: 'must match pattern "^[a-z][a-z0-9_]*$"' }];
                                              return false;
                                            }
                                          } else {
                                            validate11.errors = [{ instancePath: instancePath + "/excludes/arches/" + i5, schemaPath: "#/definitions/filter/properties/arches/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                        }
                                        var valid15 = _errs51 === errors;
                                        if (!valid15) {
                                          break;
                                        }
                                      }
                                    }
                                  }
                                  var valid13 = _errs49 === errors;
                                } else {
                                  var valid13 = true;
                                }
                                if (valid13) {
                                  if (data17.minKernel !== void 0) {
                                    let data22 = data17.minKernel;
                                    const _errs53 = errors;
                                    if (errors === _errs53) {
                                      if (typeof data22 === "string") {
                                        if (!pattern6.test(data22)) {
                                          validate11.errors = [{ instancePath: instancePath + "/excludes/minKernel", schemaPath: "#/definitions/filter/properties/minKernel/pattern", keyword: "pattern", params: { pattern: "^[0-9]+\\.[0-9]+$" }, message: 'must match pattern "^[0-9]+\\.[0-9]+$"' }];
                                          return false;
                                        }
                                      } else {
                                        validate11.errors = [{ instancePath: instancePath + "/excludes/minKernel", schemaPath: "#/definitions/filter/properties/minKernel/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                    }
                                    var valid13 = _errs53 === errors;
                                  } else {
                                    var valid13 = true;
                                  }
                                }
                              }
                            }
                          }
                        }
                        var valid0 = _errs41 === errors;
                      } else {
                        var valid0 = true;
                      }
                      if (valid0) {
                        if (data.comment !== void 0) {
                          const _errs55 = errors;
                          if (typeof data.comment !== "string") {
                            validate11.errors = [{ instancePath: instancePath + "/comment", schemaPath: "#/properties/comment/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                          var valid0 = _errs55 === errors;
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
    } else {
      validate11.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate11.errors = vErrors;
  return errors === 0;
}
function validate10(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.defaultAction === void 0 && (missing0 = "defaultAction")) {
        validate10.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        const _errs1 = errors;
        for (const key0 in data) {
          if (!(key0 === "defaultAction" || key0 === "defaultErrnoRet" || key0 === "architectures" || key0 === "archMap" || key0 === "flags" || key0 === "listenerPath" || key0 === "listenerMetadata" || key0 === "syscalls")) {
            validate10.errors = [{ instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" }];
            return false;
            break;
          }
        }
        if (_errs1 === errors) {
          if (data.defaultAction !== void 0) {
            let data0 = data.defaultAction;
            const _errs2 = errors;
            if (!(data0 === "SCMP_ACT_ALLOW" || data0 === "SCMP_ACT_ERRNO" || data0 === "SCMP_ACT_KILL" || data0 === "SCMP_ACT_KILL_THREAD" || data0 === "SCMP_ACT_KILL_PROCESS" || data0 === "SCMP_ACT_TRAP" || data0 === "SCMP_ACT_TRACE" || data0 === "SCMP_ACT_LOG" || data0 === "SCMP_ACT_NOTIFY")) {
              validate10.errors = [{ instancePath: instancePath + "/defaultAction", schemaPath: "#/definitions/action/enum", keyword: "enum", params: { allowedValues: schema12.enum }, message: "must be equal to one of the allowed values" }];
              return false;
            }
            var valid0 = _errs2 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.defaultErrnoRet !== void 0) {
              let data1 = data.defaultErrnoRet;
              const _errs4 = errors;
              const _errs5 = errors;
              if (!(typeof data1 == "number" && (!(data1 % 1) && !isNaN(data1)))) {
                validate10.errors = [{ instancePath: instancePath + "/defaultErrnoRet", schemaPath: "#/definitions/errno/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                return false;
              }
              if (errors === _errs5) {
                if (typeof data1 == "number") {
                  if (data1 > 65535 || isNaN(data1)) {
                    validate10.errors = [{ instancePath: instancePath + "/defaultErrnoRet", schemaPath: "#/definitions/errno/maximum", keyword: "maximum", params: { comparison: "<=", limit: 65535 }, message: "must be <= 65535" }];
                    return false;
                  } else {
                    if (data1 < 0 || isNaN(data1)) {
                      validate10.errors = [{ instancePath: instancePath + "/defaultErrnoRet", schemaPath: "#/definitions/errno/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                      return false;
                    }
                  }
                }
              }
              var valid0 = _errs4 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.architectures !== void 0) {
                let data2 = data.architectures;
                const _errs7 = errors;
                if (!Array.isArray(data2) && data2 !== null) {
                  validate10.errors = [{ instancePath: instancePath + "/architectures", schemaPath: "#/properties/architectures/type", keyword: "type", params: { type: schema11.properties.architectures.type }, message: "must be array,null" }];
                  return false;
                }
                if (errors === _errs7) {
                  if (Array.isArray(data2)) {
                    var valid3 = true;
                    const len0 = data2.length;
                    for (let i0 = 0; i0 < len0; i0++) {
                      let data3 = data2[i0];
                      const _errs9 = errors;
                      if (!(data3 === "SCMP_ARCH_NATIVE" || data3 === "SCMP_ARCH_X86" || data3 === "SCMP_ARCH_X86_64" || data3 === "SCMP_ARCH_X32" || data3 === "SCMP_ARCH_ARM" || data3 === "SCMP_ARCH_AARCH64" || data3 === "SCMP_ARCH_LOONGARCH64" || data3 === "SCMP_ARCH_M68K" || data3 === "SCMP_ARCH_MIPS" || data3 === "SCMP_ARCH_MIPS64" || data3 === "SCMP_ARCH_MIPS64N32" || data3 === "SCMP_ARCH_MIPSEL" || data3 === "SCMP_ARCH_MIPSEL64" || data3 === "SCMP_ARCH_MIPSEL64N32" || data3 === "SCMP_ARCH_PPC" || data3 === "SCMP_ARCH_PPC64" || data3 === "SCMP_ARCH_PPC64LE" || data3 === "SCMP_ARCH_S390" || data3 === "SCMP_ARCH_S390X" || data3 === "SCMP_ARCH_PARISC" || data3 === "SCMP_ARCH_PARISC64" || data3 === "SCMP_ARCH_RISCV64" || data3 === "SCMP_ARCH_SH" || data3 === "SCMP_ARCH_SHEB")) {
                        validate10.errors = [{ instancePath: instancePath + "/architectures/" + i0, schemaPath: "#/definitions/arch/enum", keyword: "enum", params: { allowedValues: schema14.enum }, message: "must be equal to one of the allowed values" }];
                        return false;
                      }
                      var valid3 = _errs9 === errors;
                      if (!valid3) {
                        break;
                      }
                    }
                  }
                }
                var valid0 = _errs7 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.archMap !== void 0) {
                  let data4 = data.archMap;
                  const _errs11 = errors;
                  if (!Array.isArray(data4) && data4 !== null) {
                    validate10.errors = [{ instancePath: instancePath + "/archMap", schemaPath: "#/properties/archMap/type", keyword: "type", params: { type: schema11.properties.archMap.type }, message: "must be array,null" }];
                    return false;
                  }
                  if (errors === _errs11) {
                    if (Array.isArray(data4)) {
                      var valid5 = true;
                      const len1 = data4.length;
                      for (let i1 = 0; i1 < len1; i1++) {
                        let data5 = data4[i1];
                        const _errs13 = errors;
                        if (errors === _errs13) {
                          if (data5 && typeof data5 == "object" && !Array.isArray(data5)) {
                            let missing1;
                            if (data5.architecture === void 0 && (missing1 = "architecture")) {
                              validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1, schemaPath: "#/properties/archMap/items/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                              return false;
                            } else {
                              const _errs15 = errors;
                              for (const key1 in data5) {
                                if (!(key1 === "architecture" || key1 === "subArchitectures")) {
                                  validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1, schemaPath: "#/properties/archMap/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key1 }, message: "must NOT have additional properties" }];
                                  return false;
                                  break;
                                }
                              }
                              if (_errs15 === errors) {
                                if (data5.architecture !== void 0) {
                                  let data6 = data5.architecture;
                                  const _errs16 = errors;
                                  if (!(data6 === "SCMP_ARCH_NATIVE" || data6 === "SCMP_ARCH_X86" || data6 === "SCMP_ARCH_X86_64" || data6 === "SCMP_ARCH_X32" || data6 === "SCMP_ARCH_ARM" || data6 === "SCMP_ARCH_AARCH64" || data6 === "SCMP_ARCH_LOONGARCH64" || data6 === "SCMP_ARCH_M68K" || data6 === "SCMP_ARCH_MIPS" || data6 === "SCMP_ARCH_MIPS64" || data6 === "SCMP_ARCH_MIPS64N32" || data6 === "SCMP_ARCH_MIPSEL" || data6 === "SCMP_ARCH_MIPSEL64" || data6 === "SCMP_ARCH_MIPSEL64N32" || data6 === "SCMP_ARCH_PPC" || data6 === "SCMP_ARCH_PPC64" || data6 === "SCMP_ARCH_PPC64LE" || data6 === "SCMP_ARCH_S390" || data6 === "SCMP_ARCH_S390X" || data6 === "SCMP_ARCH_PARISC" || data6 === "SCMP_ARCH_PARISC64" || data6 === "SCMP_ARCH_RISCV64" || data6 === "SCMP_ARCH_SH" || data6 === "SCMP_ARCH_SHEB")) {
                                    validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1 + "/architecture", schemaPath: "#/definitions/arch/enum", keyword: "enum", params: { allowedValues: schema14.enum }, message: "must be equal to one of the allowed values" }];
                                    return false;
                                  }
                                  var valid6 = _errs16 === errors;
                                } else {
                                  var valid6 = true;
                                }
                                if (valid6) {
                                  if (data5.subArchitectures !== void 0) {
                                    let data7 = data5.subArchitectures;
                                    const _errs18 = errors;
                                    if (!Array.isArray(data7) && data7 !== null) {
                                      validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1 + "/subArchitectures", schemaPath: "#/properties/archMap/items/properties/subArchitectures/type", keyword: "type", params: { type: schema11.properties.archMap.items.properties.subArchitectures.type }, message: "must be array,null" }];
                                      return false;
                                    }
                                    if (errors === _errs18) {
                                      if (Array.isArray(data7)) {
                                        var valid8 = true;
                                        const len2 = data7.length;
                                        for (let i2 = 0; i2 < len2; i2++) {
                                          let data8 = data7[i2];
                                          const _errs20 = errors;
                                          if (!(data8 === "SCMP_ARCH_NATIVE" || data8 === "SCMP_ARCH_X86" || data8 === "SCMP_ARCH_X86_64" || data8 === "SCMP_ARCH_X32" || data8 === "SCMP_ARCH_ARM" || data8 === "SCMP_ARCH_AARCH64" || data8 === "SCMP_ARCH_LOONGARCH64" || data8 === "SCMP_ARCH_M68K" || data8 === "SCMP_ARCH_MIPS" || data8 === "SCMP_ARCH_MIPS64" || data8 === "SCMP_ARCH_MIPS64N32" || data8 === "SCMP_ARCH_MIPSEL" || data8 === "SCMP_ARCH_MIPSEL64" || data8 === "SCMP_ARCH_MIPSEL64N32" || data8 === "SCMP_ARCH_PPC" || data8 === "SCMP_ARCH_PPC64" || data8 === "SCMP_ARCH_PPC64LE" || data8 === "SCMP_ARCH_S390" || data8 === "SCMP_ARCH_S390X" || data8 === "SCMP_ARCH_PARISC" || data8 === "SCMP_ARCH_PARISC64" || data8 === "SCMP_ARCH_RISCV64" || data8 === "SCMP_ARCH_SH" || data8 === "SCMP_ARCH_SHEB")) {
                                            validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1 + "/subArchitectures/" + i2, schemaPath: "#/definitions/arch/enum", keyword: "enum", params: { allowedValues: schema14.enum }, message: "must be equal to one of the allowed values" }];
                                            return false;
                                          }
                                          var valid8 = _errs20 === errors;
                                          if (!valid8) {
                                            break;
                                          }
                                        }
                                      }
                                    }
                                    var valid6 = _errs18 === errors;
                                  } else {
                                    var valid6 = true;
                                  }
                                }
                              }
                            }
                          } else {
                            validate10.errors = [{ instancePath: instancePath + "/archMap/" + i1, schemaPath: "#/properties/archMap/items/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                            return false;
                          }
                        }
                        var valid5 = _errs13 === errors;
                        if (!valid5) {
                          break;
                        }
                      }
                    }
                  }
                  var valid0 = _errs11 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.flags !== void 0) {
                    let data9 = data.flags;
                    const _errs22 = errors;
                    if (!Array.isArray(data9) && data9 !== null) {
                      validate10.errors = [{ instancePath: instancePath + "/flags", schemaPath: "#/properties/flags/type", keyword: "type", params: { type: schema11.properties.flags.type }, message: "must be array,null" }];
                      return false;
                    }
                    if (errors === _errs22) {
                      if (Array.isArray(data9)) {
                        var valid10 = true;
                        const len3 = data9.length;
                        for (let i3 = 0; i3 < len3; i3++) {
                          const _errs24 = errors;
                          if (typeof data9[i3] !== "string") {
                            validate10.errors = [{ instancePath: instancePath + "/flags/" + i3, schemaPath: "#/properties/flags/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                          var valid10 = _errs24 === errors;
                          if (!valid10) {
                            break;
                          }
                        }
                      }
                    }
                    var valid0 = _errs22 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.listenerPath !== void 0) {
                      const _errs26 = errors;
                      if (typeof data.listenerPath !== "string") {
                        validate10.errors = [{ instancePath: instancePath + "/listenerPath", schemaPath: "#/properties/listenerPath/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                        return false;
                      }
                      var valid0 = _errs26 === errors;
                    } else {
                      var valid0 = true;
                    }
                    if (valid0) {
                      if (data.listenerMetadata !== void 0) {
                        const _errs28 = errors;
                        if (typeof data.listenerMetadata !== "string") {
                          validate10.errors = [{ instancePath: instancePath + "/listenerMetadata", schemaPath: "#/properties/listenerMetadata/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                          return false;
                        }
                        var valid0 = _errs28 === errors;
                      } else {
                        var valid0 = true;
                      }
                      if (valid0) {
                        if (data.syscalls !== void 0) {
                          let data13 = data.syscalls;
                          const _errs30 = errors;
                          if (!Array.isArray(data13) && data13 !== null) {
                            validate10.errors = [{ instancePath: instancePath + "/syscalls", schemaPath: "#/properties/syscalls/type", keyword: "type", params: { type: schema11.properties.syscalls.type }, message: "must be array,null" }];
                            return false;
                          }
                          if (errors === _errs30) {
                            if (Array.isArray(data13)) {
                              var valid11 = true;
                              const len4 = data13.length;
                              for (let i4 = 0; i4 < len4; i4++) {
                                const _errs32 = errors;
                                if (!validate11(data13[i4], { instancePath: instancePath + "/syscalls/" + i4, parentData: data13, parentDataProperty: i4, rootData })) {
                                  vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
                                  errors = vErrors.length;
                                }
                                var valid11 = _errs32 === errors;
                                if (!valid11) {
                                  break;
                                }
                              }
                            }
                          }
                          var valid0 = _errs30 === errors;
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
    } else {
      validate10.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate10.errors = vErrors;
  return errors === 0;
}
